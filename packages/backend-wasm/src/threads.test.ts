import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureWasmThreads, plannedWasmThreads, wasmThreadCount } from './node.js';
import { MobileNetV2 } from './bench/mobilenet-v2.js';
import { resizeThreadPool, ticksPerThread } from './bench/thread-pool.js';
import { nativeKernels } from './kernels/wasm/native.js';

// tfjs's threaded SIMD build on Node's worker_threads (through @bears/backend-wasm/node): it starts,
// XNNPACK spreads convolutions and matrix products over the threads, and every result equals the
// one-thread result within float tolerance (same process, pool resized to 1).
describe('wasm on 2 threads (Node)', () => {
  beforeAll(async () => {
    configureWasmThreads(2);
    expect(plannedWasmThreads()).toBe(2);
    const active = await useBackend('wasm', { env: null });
    expect(active.capabilities.details).toContain('2 threads');
  });

  it('starts the threaded build and links the native kernels to its shared heap', () => {
    expect(wasmThreadCount()).toBe(2);
    const backend = tf.backend() as BackendWasm;
    expect((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(nativeKernels(backend)).toBeDefined();
  });

  it.runIf(process.platform === 'linux')('runs a convolution and a matrix product on both threads', async () => {
    const x = tf.randomNormal([4, 56, 56, 64], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 64, 64], 0, 1, 'float32', 2);
    const a = tf.randomNormal([512, 1024], 0, 1, 'float32', 3);
    const b = tf.randomNormal([1024, 512], 0, 1, 'float32', 4);
    try {
      for (const op of [() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), () => tf.matMul(a, b)]) {
        op().dispose(); // operator setup outside the measurement
        const ticks = (await ticksPerThread(() => { for (let i = 0; i < 8; i++) { const y = op(); y.dataSync(); y.dispose(); } }))!;
        // The second-busiest thread did at least a third of the busiest one's work.
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        expect(ticks[1]!).toBeGreaterThan(ticks[0]! / 3);
      }
    } finally {
      tf.dispose([x, w, a, b]);
    }
  });

  it('gives the same MobileNetV2 outputs and gradients on 2 threads as on 1', () => {
    const model = new MobileNetV2({ classes: 5, seed: 3 });
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5));
    const run = (threads: number) => {
      expect(resizeThreadPool(threads)).toBe(threads);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)) as tf.Scalar, model.variables);
      const out = { loss: value.dataSync()[0]!, grads: model.variables.map((v) => grads[v.name]!.dataSync() as Float32Array) };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    try {
      const one = run(1);
      const two = run(2);
      expect(Math.abs(one.loss - two.loss)).toBeLessThan(1e-5);
      two.grads.forEach((g, i) => {
        const ref = one.grads[i]!;
        const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
        const worst = g.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[j]!)), 0);
        expect(worst / scale, model.variables[i]!.name).toBeLessThan(1e-3);
      });
    } finally {
      resizeThreadPool(2);
      tf.dispose([x, y]);
      model.dispose();
    }
  }, 120_000);
});
