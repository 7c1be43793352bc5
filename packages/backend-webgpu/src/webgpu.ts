import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { BackendUnavailableError, detectRuntime, type BackendCapabilities, type BackendPlugin, type ImageCodec } from '@bears/backend';
import { currentWebGpuEnvironment, probeWebGpu, type AdapterSummary, type WebGpuEnvironment } from './availability.js';
import { browserImageCodec } from './codec.js';
import { missingTrainingKernels } from './training-kernels.js';

/** Above WebGL (50) and the embedded wasm default (10); below node-gpu (200), which never meets it. */
export const WEBGPU_PRIORITY = 100;

export interface WebGpuBackendOptions {
  /** Bears name to register under (default 'webgpu'). */
  name?: string;
  priority?: number;
  /**
   * Accept a software adapter (Chrome's SwiftShader fallback). Default true, as tfjs does; set
   * false so that 'auto' passes over it to WebGL or wasm, which are faster on a CPU.
   */
  allowSoftware?: boolean;
  /** Where to look for WebGPU; defaults to the current page or worker (tests inject fakes). */
  environment?: () => WebGpuEnvironment;
}

/** Builds a WebGPU plugin; `webgpuBackend` is the default instance that importing the package registers. */
export function createWebGpuBackend(options: WebGpuBackendOptions = {}): BackendPlugin {
  const { name = 'webgpu', priority = WEBGPU_PRIORITY, allowSoftware = true } = options;
  const environment = options.environment ?? (() => currentWebGpuEnvironment(detectRuntime()));
  let adapter: AdapterSummary | undefined;

  return {
    name,
    priority,
    tfBackendName: 'webgpu',
    async isAvailable() {
      const probe = await probeWebGpu(environment(), { allowSoftware });
      if (!probe.ok) return { ok: false, reason: probe.reason };
      if (!tf.findBackendFactory('webgpu')) {
        // tfjs-backend-webgpu registers itself at import only when navigator.gpu existed then.
        return { ok: false, reason: 'tfjs-backend-webgpu did not register its backend (navigator.gpu was missing when it was imported)' };
      }
      adapter = probe.value; // only once everything passed: init() relies on it
      return { ok: true };
    },
    async init() {
      if (!adapter) {
        const available = await this.isAvailable();
        if (!available.ok) throw new BackendUnavailableError(name, available.reason);
      }
      if (!(await tf.setBackend('webgpu'))) {
        throw new BackendUnavailableError(name, 'tfjs could not create a WebGPU device from the adapter (see the console warning from tfjs for the cause)');
      }
      await tf.ready();
    },
    capabilities(): BackendCapabilities {
      const missing = missingTrainingKernels('webgpu');
      const a = adapter;
      const adapterText = a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unnamed adapter' : 'adapter not probed';
      return {
        runtime: detectRuntime(),
        accelerator: a?.software ? 'cpu' : 'gpu',
        canTrain: missing.length === 0,
        details: `tfjs-backend-webgpu, adapter: ${adapterText}${a?.software ? ' (software fallback, slower than wasm)' : ''}${missing.length ? `; missing training kernels: ${missing.join(', ')}` : ''}`,
      };
    },
    codec: (): Promise<ImageCodec> => browserImageCodec(),
  };
}

export const webgpuBackend: BackendPlugin = createWebGpuBackend();
