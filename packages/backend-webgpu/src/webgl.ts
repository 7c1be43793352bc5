import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { BackendUnavailableError, detectRuntime, type BackendCapabilities, type BackendPlugin, type ImageCodec } from '@bears/backend';
import { currentWebGlEnvironment, probeWebGl, type WebGlEnvironment, type WebGlInfo } from './availability.js';
import { browserImageCodec } from './codec.js';
import { missingTrainingKernels } from './training-kernels.js';

/** Between WebGPU (100) and the embedded wasm default (10). */
export const WEBGL_PRIORITY = 50;

export interface WebGlBackendOptions {
  name?: string;
  priority?: number;
  /** Accept a software renderer (SwiftShader, llvmpipe). Default true; false lets 'auto' move on to wasm. */
  allowSoftware?: boolean;
  /** Where to look for WebGL; defaults to the current page or worker (tests inject fakes). */
  environment?: () => WebGlEnvironment;
}

/** Builds a WebGL plugin; `webglBackend` is the default instance that importing the package registers. */
export function createWebGlBackend(options: WebGlBackendOptions = {}): BackendPlugin {
  const { name = 'webgl', priority = WEBGL_PRIORITY, allowSoftware = true } = options;
  const environment = options.environment ?? (() => currentWebGlEnvironment(detectRuntime()));
  let info: WebGlInfo | undefined;

  return {
    name,
    priority,
    tfBackendName: 'webgl',
    async isAvailable() {
      const probe = probeWebGl(environment(), { allowSoftware });
      if (!probe.ok) return { ok: false, reason: probe.reason };
      if (!tf.findBackendFactory('webgl')) {
        return { ok: false, reason: 'tfjs-backend-webgl did not register its backend (it registers only in browsers and Web Workers)' };
      }
      info = probe.value; // only once everything passed: init() relies on it
      return { ok: true };
    },
    async init() {
      if (!info) {
        const available = await this.isAvailable();
        if (!available.ok) throw new BackendUnavailableError(name, available.reason);
      }
      if (!(await tf.setBackend('webgl'))) {
        throw new BackendUnavailableError(name, 'tfjs could not create a WebGL context (see the console warning from tfjs for the cause)');
      }
      await tf.ready();
    },
    capabilities(): BackendCapabilities {
      const missing = missingTrainingKernels('webgl');
      // Without float32 render targets tfjs falls back to float16 textures: inference works, training diverges.
      const fullPrecision = info ? info.float32Render : true;
      const notes = [
        info ? `WebGL ${info.version}, renderer: ${info.renderer}${info.software ? ' (software, slower than wasm)' : ''}` : 'renderer not probed',
        fullPrecision ? '' : 'no float32 render targets (half precision: not for training)',
        missing.length ? `missing training kernels: ${missing.join(', ')}` : '',
      ].filter(Boolean);
      return {
        runtime: detectRuntime(),
        accelerator: info?.software ? 'cpu' : 'gpu',
        canTrain: missing.length === 0 && fullPrecision,
        details: `tfjs-backend-webgl, ${notes.join('; ')}`,
      };
    },
    codec: (): Promise<ImageCodec> => browserImageCodec(),
  };
}

export const webglBackend: BackendPlugin = createWebGlBackend();
