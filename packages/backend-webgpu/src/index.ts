import { registerBackend } from '@bears/backend';
import { webglBackend } from './webgl.js';
import { webgpuBackend } from './webgpu.js';

// Importing the package registers both browser backends, as tfjs backends do. Under 'auto' the
// registry tries WebGPU, then WebGL, then wasm (if @bears/backend-wasm is imported too).
registerBackend(webgpuBackend);
registerBackend(webglBackend);

export { createWebGpuBackend, webgpuBackend, WEBGPU_PRIORITY, type WebGpuBackendOptions } from './webgpu.js';
export { createWebGlBackend, webglBackend, WEBGL_PRIORITY, type WebGlBackendOptions } from './webgl.js';
export { probeWebGpu, probeWebGl, isSoftwareName, currentWebGpuEnvironment, currentWebGlEnvironment } from './availability.js';
export type { AdapterSummary, GpuAdapterLike, GpuLike, GlLike, ProbeOptions, ProbeResult, WebGlEnvironment, WebGlInfo, WebGpuEnvironment } from './availability.js';
export { browserImageCodec } from './codec.js';
export { missingTrainingKernels, TRAINING_KERNELS } from './training-kernels.js';
