import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { codecForRuntime } from './codec.js';
import { detectRuntime } from './runtime.js';
import type { BackendPlugin } from './types.js';

/**
 * tfjs's plain-JS cpu backend (about 1 GFLOP/s). It is the numerical reference the
 * conformance suite compares against; never chosen by 'auto' unless registered explicitly.
 */
export const cpuBackend: BackendPlugin = {
  name: 'cpu',
  priority: 1,
  tfBackendName: 'cpu',
  async isAvailable() {
    return { ok: true };
  },
  async init() {
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
    await tf.ready();
  },
  capabilities() {
    return { runtime: detectRuntime(), accelerator: 'cpu', canTrain: true, details: 'tfjs-backend-cpu (reference, slow)' };
  },
  codec: () => codecForRuntime(),
};
