import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@bears/backend'; // registers tfjs-core's gradients, which the fused ones replace
import { beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../test-support/rng.js';
import { setFusedGradientsEnabled } from './fused-grads.js';
import { registerTrainingKernels } from './index.js';

// The fused gradients of Relu, Relu6, Minimum/Maximum against a scalar and FusedBatchNorm on wasm
// against tfjs-core's own gradients on tfjs-backend-cpu, on seeded random shapes.

/** A random shape of rank 1-4 whose last dim (channels) is 1-19, so SIMD tails are covered. */
function shape(r: () => number): number[] {
  const rank = 1 + Math.floor(r() * 4);
  return [...Array.from({ length: rank - 1 }, () => 1 + Math.floor(r() * 6)), 1 + Math.floor(r() * 19)];
}

/** Values with exact hits on the ReLU6 / scalar boundaries (0, 6, 0.5) so ties are compared too. */
function values(n: number, r: () => number, boundaries = true): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const k = r();
    if (boundaries && k < 0.15) return [0, 6, 0.5, -0.5][Math.floor(r() * 4)]!;
    return (r() * 2 - 1) * 9;
  });
}

type Case = { name: string; inputs: Array<{ data: Float32Array; shape: number[] }>; f: (...xs: tf.Tensor[]) => tf.Tensor };

async function grads(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = c.inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
  const before = tf.memory().numTensors;
  const gs = tf.grads((...args: tf.Tensor[]) => c.f(...args))(xs);
  const out = gs.map((g) => g.dataSync() as Float32Array);
  tf.dispose(gs);
  expect(tf.memory().numTensors, `${c.name}: tensors left`).toBe(before);
  tf.dispose(xs);
  return out;
}

function relError(got: Float32Array, want: Float32Array): number {
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
  return got.reduce((m, v, j) => Math.max(m, Math.abs(v - want[j]!)), 0) / scale;
}

function expectClose(got: Float32Array[], want: Float32Array[], name: string, rel: number): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, k) => {
    expect(relError(g, want[k]!), `${name}: input ${k}`).toBeLessThanOrEqual(rel);
  });
}

describe('fused gradients on wasm vs tfjs-core gradients on cpu', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend('wasm');
  });

  it('Relu, Relu6, tfjs-layers relu6 and Minimum/Maximum against a scalar (exact, boundaries included)', async () => {
    const r = rng(16);
    for (let i = 0; i < 30; i++) {
      const s = shape(r);
      const n = s.reduce((a, b) => a * b, 1);
      const x = { data: values(n, r), shape: s };
      const w = { data: values(n, r, false), shape: s };
      const cases: Case[] = [
        { name: 'relu6', inputs: [x, w], f: (a, b) => tf.sum(tf.mul(tf.relu6(a!), b!)) },
        { name: 'relu', inputs: [x, w], f: (a, b) => tf.sum(tf.mul(tf.relu(a!), b!)) },
        { name: 'layers relu6', inputs: [x, w], f: (a, b) => tf.sum(tf.mul(tf.minimum(6, tf.relu(a!)), b!)) },
        { name: 'minimum(x, s)', inputs: [x, w], f: (a, b) => tf.sum(tf.mul(tf.minimum(a!, 0.5), b!)) },
        { name: 'maximum(x, s)', inputs: [x, w], f: (a, b) => tf.sum(tf.mul(tf.maximum(a!, 0.5), b!)) },
        { name: 'maximum(s, x)', inputs: [x, w], f: (a, b) => tf.sum(tf.mul(tf.maximum(-0.5, a!), b!)) },
      ];
      for (const c of cases) expectClose(await grads('wasm', c), await grads('cpu', c), `${c.name} [${s}]`, 0);
    }
    await tf.setBackend('wasm');
  });

  it('FusedBatchNorm: x, mean, variance, scale and offset, with given and with batch statistics', async () => {
    const r = rng(61);
    for (let i = 0; i < 30; i++) {
      const s = shape(r);
      const c = s.at(-1)!;
      const n = s.reduce((a, b) => a * b, 1);
      const x = { data: values(n, r, false), shape: s };
      const w = { data: values(n, r, false), shape: s };
      const mean = { data: values(c, r, false), shape: [c] };
      const variance = { data: Float32Array.from({ length: c }, () => 0.1 + r() * 4), shape: [c] };
      const gamma = { data: values(c, r, false), shape: [c] };
      const beta = { data: values(c, r, false), shape: [c] };
      const cases: Case[] = [
        { name: 'batchNorm', inputs: [x, mean, variance, gamma, beta, w], f: (a, m, v, g, b, k) => tf.sum(tf.mul(tf.batchNorm(a!, m!, v!, b!, g!, 1e-3), k!)) },
        // (Without a scale tfjs-core cannot differentiate batchNorm at all: it saves the missing input.)
      ];
      if (n / c >= 2) {
        const axes = s.slice(0, -1).map((_, j) => j);
        cases.push({
          name: 'training batch norm (moments)', inputs: [x, gamma, beta, w],
          f: (a, g, b, k) => { const m = tf.moments(a!, axes); return tf.sum(tf.mul(tf.batchNorm(a!, m.mean, m.variance, b!, g!, 1e-3), k!)); },
        });
      }
      for (const k of cases) {
        const cpu = await grads('cpu', k);
        // With batch statistics dx is a difference of nearly equal sums: allow what tfjs's own
        // composition on wasm differs from cpu by (float32 summation order), and 2e-4 at least.
        setFusedGradientsEnabled(false);
        const unfused = await grads('wasm', k).finally(() => setFusedGradientsEnabled(true));
        const noise = Math.max(...unfused.map((g, j) => relError(g, cpu[j]!)));
        expectClose(await grads('wasm', k), cpu, `${k.name} [${s}]`, Math.max(2e-4, 4 * noise));
      }
    }
    await tf.setBackend('wasm');
  });

  it('falls back to tfjs-core gradients when disabled, and on other backends', async () => {
    const x = { data: values(24, rng(3)), shape: [2, 3, 4] };
    const c: Case = { name: 'relu6', inputs: [x], f: (a) => tf.sum(tf.relu6(a!)) };
    const fused = await grads('wasm', c);
    setFusedGradientsEnabled(false);
    try {
      expectClose(await grads('wasm', c), fused, 'relu6 unfused', 0);
    } finally {
      setFusedGradientsEnabled(true);
    }
    await tf.setBackend('wasm');
  });
});
