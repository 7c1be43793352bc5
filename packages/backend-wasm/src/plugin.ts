import * as tf from '@tensorflow/tfjs-core';
import { codecForRuntime, detectRuntime, type BackendPlugin } from '@bears/backend';
import { registerTrainingKernels } from './kernels/index.js';
import { startWasm, wasmThreadCount } from './threads.js';

/** Priority of the embedded default: above the cpu reference, below any GPU backend. */
export const WASM_PRIORITY = 10;

/**
 * The embedded default backend: tfjs wasm (XNNPACK, SIMD) in Node, browsers and edge, plus the
 * gradient kernels tfjs-backend-wasm ships without, so CNNs can train on it.
 */
export const wasmBackend: BackendPlugin = {
  name: 'wasm',
  priority: WASM_PRIORITY,
  tfBackendName: 'wasm',
  async isAvailable() {
    if (typeof WebAssembly !== 'object') return { ok: false, reason: 'this runtime has no WebAssembly' };
    return { ok: true };
  },
  async init() {
    registerTrainingKernels();
    await startWasm();
    await tf.ready();
  },
  capabilities() {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = wasmThreadCount();
    return { runtime: detectRuntime(), accelerator: 'cpu', canTrain: true, details: `tfjs-backend-wasm ${simd ? 'SIMD' : 'no SIMD'}, ${threads > 1 ? `${threads} threads` : 'one thread'}` };
  },
  codec: () => codecForRuntime(),
};
