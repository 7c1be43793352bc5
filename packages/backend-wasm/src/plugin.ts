import * as tf from '@tensorflow/tfjs-core';
import { codecForRuntime, detectRuntime, type BackendPlugin } from '@bears/backend';
import { registerTrainingKernels } from './kernels/index.js';
import { startWasm, wasmThreadCount, wasmThreadNote } from './threads.js';

/**
 * Memory one training step may use on wasm: wasm32 heaps top out at 4 GB, and batch 8 of MobileNet at
 * 224 px already overflows in practice (kernel scratch and fragmentation come on top of the tensors
 * tf.profile sees), so stay well below.
 */
export const WASM_MEMORY_BUDGET = 1.25e9;

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
    return {
      runtime: detectRuntime(),
      accelerator: 'cpu',
      canTrain: true,
      memoryBudgetBytes: WASM_MEMORY_BUDGET,
      threads,
      details: `tfjs-backend-wasm ${simd ? 'SIMD' : 'no SIMD'}, ${threads > 1 ? `${threads} threads` : 'one thread'}${wasmThreadNote() ? `; ${wasmThreadNote()}` : ''}`,
    };
  },
  codec: () => codecForRuntime(),
};
