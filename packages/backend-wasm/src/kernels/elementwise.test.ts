import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../test-support/rng.js';
import { middleBroadcast, trailingBlock } from './binary.js';
import { registerTrainingKernels } from './index.js';
import { collapsePermutation } from './transpose.js';
import { setNativeKernelsEnabled } from './wasm/native.js';

// Transpose and binary-op fast paths against tfjs-backend-cpu on seeded random shapes (exact match:
// both compute in IEEE float32).

type Input = { data: Float32Array | Int32Array; shape: number[]; dtype: 'float32' | 'int32' | 'bool' };
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Values from a small set (with repeats, zeros and a NaN now and then) so comparisons hit ties. */
function values(n: number, r: () => number, dtype: Input['dtype']): Float32Array | Int32Array {
  if (dtype !== 'float32') return Int32Array.from({ length: n }, () => (dtype === 'bool' ? Math.floor(r() * 2) : (Math.floor(r() * 8) - 4) || 5)); // int32: no zeros (tfjs-wasm's RealDiv traps on x / 0)
  return Float32Array.from({ length: n }, () => {
    const k = r();
    if (k < 0.01) return NaN;
    if (k < 0.3) return Math.floor(r() * 5) - 2;
    return (r() * 2 - 1) * 10;
  });
}

async function run(backend: string, kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown> = {}) {
  await tf.setBackend(backend);
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape, v.dtype);
  const out = tf.engine().runKernel(kernel, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
  const res = { values: Array.from(out.dataSync() as Float32Array), shape: out.shape, dtype: out.dtype };
  tf.dispose([out, ...Object.values(ts)]);
  return res;
}

async function check(kernel: string, inputs: Record<string, Input>, attrs: Record<string, unknown>, label: string) {
  const got = await run('wasm', kernel, inputs, attrs);
  const want = await run('cpu', kernel, inputs, attrs);
  expect(got.shape, label).toEqual(want.shape);
  expect(got.dtype, label).toBe(want.dtype);
  for (let i = 0; i < want.values.length; i++) {
    if (!Object.is(got.values[i], want.values[i]) && !(got.values[i] === 0 && want.values[i] === 0)) {
      expect.fail(`${label}: element ${i} is ${got.values[i]}, cpu says ${want.values[i]}`);
    }
  }
}

function shuffled(n: number, r: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [p[i], p[j]] = [p[j]!, p[i]!]; }
  return p;
}

describe('shape helpers', () => {
  it('collapsePermutation drops size-1 dims and merges dims that stay adjacent', () => {
    expect(collapsePermutation([1, 50, 32], [0, 2, 1])).toEqual({ shape: [50, 32], perm: [1, 0] });
    expect(collapsePermutation([4, 7, 7, 16], [3, 1, 2, 0])).toEqual({ shape: [4, 49, 16], perm: [2, 1, 0] });
    expect(collapsePermutation([4, 7, 7, 16], [1, 2, 0, 3])).toEqual({ shape: [4, 49, 16], perm: [1, 0, 2] });
    expect(collapsePermutation([2, 3, 4, 5], [0, 1, 2, 3])).toEqual({ shape: [120], perm: [0] });
    expect(collapsePermutation([2, 3, 4, 5], [0, 2, 1, 3])).toEqual({ shape: [2, 3, 4, 5], perm: [0, 2, 1, 3] });
    expect(collapsePermutation([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });

  it('middleBroadcast finds [outer, 1.., inner] broadcasts only', () => {
    expect(middleBroadcast([4, 1, 1, 8], [4, 7, 7, 8])).toEqual({ outer: 4, middle: 49, inner: 8 });
    expect(middleBroadcast([8], [2, 3, 8])).toEqual({ outer: 1, middle: 6, inner: 8 });
    expect(middleBroadcast([2, 3, 8], [2, 3, 8])).toEqual({ outer: 48, middle: 1, inner: 1 });
    expect(middleBroadcast([], [2, 3])).toEqual({ outer: 1, middle: 6, inner: 1 });
    expect(middleBroadcast([2, 1], [2, 3])).toEqual({ outer: 2, middle: 3, inner: 1 });
    expect(middleBroadcast([1, 3, 1], [2, 3, 4])).toBeUndefined();
    expect(middleBroadcast([2, 1, 4, 1], [2, 3, 4, 5])).toBeUndefined();
    expect(middleBroadcast([3, 4], [2, 3])).toBeUndefined();
  });

  it('trailingBlock finds [..., C] op [C] broadcasts only', () => {
    expect(trailingBlock([8], [2, 3, 8])).toBe(8);
    expect(trailingBlock([1, 1, 1, 8], [2, 3, 4, 8])).toBe(8);
    expect(trailingBlock([], [2, 3])).toBe(1);
    expect(trailingBlock([1], [2, 3])).toBe(1);
    expect(trailingBlock([2, 3], [2, 3])).toBe(6);
    expect(trailingBlock([3, 1], [2, 3, 4])).toBe(-1);
    expect(trailingBlock([2, 1, 4], [2, 3, 4])).toBe(-1);
  });
});

describe('wasm Transpose and binary ops match tfjs-backend-cpu', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend('wasm');
    await tf.ready();
  });

  async function randomTransposes(seed: number, count: number) {
    const r = rng(seed);
    for (let i = 0; i < count; i++) {
      const rank = 1 + Math.floor(r() * 5);
      // mostly small dims, some size-1 dims, now and then one past the 64-column SIMD block
      const shape = Array.from({ length: rank }, () => { const k = r(); return k < 0.15 ? 1 : k < 0.9 ? 1 + Math.floor(r() * 9) : 60 + Math.floor(r() * 12); });
      if (size(shape) > 200_000) continue;
      const perm = shuffled(rank, r);
      const dtype = r() < 0.8 ? 'float32' : 'int32';
      await check(tf.Transpose, { x: { data: values(size(shape), r, dtype), shape, dtype } }, { perm }, `Transpose [${shape}] perm [${perm}] ${dtype}`);
    }
  }

  it('Transpose: the training-step permutations and tile edges', async () => {
    const r = rng(5);
    for (const [shape, perm] of [
      [[1, 67, 13], [0, 2, 1]], [[1, 64, 64], [0, 2, 1]], [[3, 9, 70], [0, 2, 1]], [[13, 66], [1, 0]],
      [[4, 5, 6, 7], [3, 1, 2, 0]], [[4, 5, 6, 7], [1, 2, 0, 3]], [[2, 3, 4, 5], [0, 2, 1, 3]], [[5, 1, 3, 3], [1, 2, 0, 3]],
      [[2, 3, 4], [0, 1, 2]], [[6], [0]], [[1, 1], [1, 0]], [[2, 0, 3], [2, 1, 0]],
    ] as Array<[number[], number[]]>) {
      await check(tf.Transpose, { x: { data: values(size(shape), r, 'float32'), shape, dtype: 'float32' } }, { perm }, `Transpose [${shape}] perm [${perm}]`);
    }
    await check(tf.Transpose, { x: { data: values(24, r, 'bool'), shape: [2, 3, 4], dtype: 'bool' } }, { perm: [2, 0, 1] }, 'Transpose bool (tfjs kernel)');
  });

  it('Transpose: 80 random shapes and permutations', async () => { await randomTransposes(77, 80); });

  const kernels = [tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.Less, tf.LessEqual, tf.Greater, tf.GreaterEqual, tf.Equal];

  /** Shape pairs: same shape, [.., C] with [C] / [1, .., C], scalars, both orders, and general broadcasts (fallback). */
  function shapePair(r: () => number): [number[], number[]] {
    const rank = 1 + Math.floor(r() * 4);
    const full = Array.from({ length: rank }, () => 1 + Math.floor(r() * (r() < 0.2 ? 40 : 7)));
    const k = Math.floor(r() * (rank + 1));
    const kind = r();
    let small: number[];
    if (kind < 0.25) small = full.slice();
    else if (kind < 0.55) small = full.slice(k);
    else if (kind < 0.7) small = [...full.slice(0, k).map(() => 1), ...full.slice(k)];
    else if (kind < 0.85) small = r() < 0.5 ? [] : [1];
    else if (kind < 0.92) { // [outer, 1.., inner]: a run of 1s inside
      const j = k + Math.floor(r() * (rank - k + 1));
      small = full.map((d, i) => (i >= k && i < j ? 1 : d));
    } else small = full.map((d) => (r() < 0.5 ? 1 : d)); // any broadcast
    return r() < 0.5 ? [full, small] : [small, full];
  }

  it('binary ops: 60 random shape pairs per kernel', async () => {
    const r = rng(2024);
    for (const kernel of kernels) {
      for (let i = 0; i < 60; i++) {
        const [as, bs] = shapePair(r);
        const dtype = r() < 0.9 ? 'float32' : 'int32';
        await check(kernel, { a: { data: values(size(as), r, dtype), shape: as, dtype }, b: { data: values(size(bs), r, dtype), shape: bs, dtype } }, {},
          `${kernel} [${as}] with [${bs}] ${dtype}`);
      }
    }
  });

  it('BatchMatMul: transposed operands (native transpose + XNNPACK) and batched products (tfjs kernel), 40 random shapes', async () => {
    const r = rng(555);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    for (let i = 0; i < 40; i++) {
      const [m, k, n] = [int(1, 40), int(1, 70), int(1, 40)];
      const transposeA = r() < 0.5, transposeB = r() < 0.5;
      const batch = r() < 0.2 ? int(2, 3) : 1;
      const lead = batch > 1 ? [batch] : r() < 0.3 ? [1] : [];
      const as = [...lead, ...(transposeA ? [k, m] : [m, k])];
      const bs = [...lead, ...(transposeB ? [n, k] : [k, n])];
      const inputs = {
        a: { data: Float32Array.from({ length: size(as) }, () => r() * 2 - 1), shape: as, dtype: 'float32' as const },
        b: { data: Float32Array.from({ length: size(bs) }, () => r() * 2 - 1), shape: bs, dtype: 'float32' as const },
      };
      const label = `BatchMatMul [${as}]${transposeA ? '^T' : ''} x [${bs}]${transposeB ? '^T' : ''}`;
      const got = await run('wasm', tf.BatchMatMul, inputs, { transposeA, transposeB });
      const want = await run('cpu', tf.BatchMatMul, inputs, { transposeA, transposeB });
      expect(got.shape, label).toEqual(want.shape);
      const diff = Math.max(0, ...got.values.map((v, j) => Math.abs(v - want.values[j]!)));
      expect(diff, `${label}: max |diff| ${diff}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.sqrt(k)));
    }
  });

  it('FusedBatchNorm: per-channel parameters (native) and other shapes (tfjs kernel)', async () => {
    const r = rng(31);
    const pos = (n: number) => Float32Array.from({ length: n }, () => 0.1 + r() * 3);
    for (let i = 0; i < 30; i++) {
      const rank = 1 + Math.floor(r() * 4);
      const xs = Array.from({ length: rank }, () => 1 + Math.floor(r() * 9));
      const c = xs.at(-1)!;
      const kind = r();
      const ps = kind < 0.5 ? [c] : kind < 0.8 ? [...xs.slice(0, -1).map(() => 1), c] : xs.slice(); // last: full-shape params (fallback)
      const n = size(ps);
      const inputs: Record<string, Input> = {
        x: { data: values(size(xs), r, 'float32').map((v) => (Number.isNaN(v) ? 0 : v)), shape: xs, dtype: 'float32' },
        mean: { data: values(n, r, 'float32').map((v) => (Number.isNaN(v) ? 1 : v)), shape: ps, dtype: 'float32' },
        variance: { data: pos(n), shape: ps, dtype: 'float32' },
      };
      if (r() < 0.8) inputs.scale = { data: pos(n), shape: ps, dtype: 'float32' };
      if (r() < 0.8) inputs.offset = { data: values(n, r, 'float32').map((v) => (Number.isNaN(v) ? 2 : v)), shape: ps, dtype: 'float32' };
      const attrs = { varianceEpsilon: r() < 0.5 ? 1e-3 : 1e-5 };
      const label = `FusedBatchNorm x=[${xs}] params=[${ps}] ${Object.keys(inputs).join(',')}`;
      const got = await run('wasm', tf.FusedBatchNorm, inputs, attrs);
      const want = await run('cpu', tf.FusedBatchNorm, inputs, attrs);
      expect(got.shape, label).toEqual(want.shape);
      const scale = Math.max(1, ...want.values.map(Math.abs));
      const diff = Math.max(...got.values.map((v, k) => Math.abs(v - want.values[k]!)));
      expect(diff, `${label}: max |diff| ${diff}`).toBeLessThanOrEqual(2e-5 * scale);
    }
  });

  it('without the native kernels: tfjs fallbacks still match', async () => {
    setNativeKernelsEnabled(false);
    try {
      const r = rng(9);
      await check(tf.Transpose, { x: { data: values(60, r, 'float32'), shape: [3, 4, 5], dtype: 'float32' } }, { perm: [2, 1, 0] }, 'Transpose');
      await check(tf.LessEqual, { a: { data: values(60, r, 'float32'), shape: [3, 4, 5], dtype: 'float32' }, b: { data: values(1, r, 'float32'), shape: [], dtype: 'float32' } }, {}, 'LessEqual');
      await check(tf.Sub, { a: { data: values(5, r, 'float32'), shape: [5], dtype: 'float32' }, b: { data: values(60, r, 'float32'), shape: [3, 4, 5], dtype: 'float32' } }, {}, 'Sub');
    } finally {
      setNativeKernelsEnabled(true);
    }
  });

  it('leaves no wasm heap behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const x = tf.randomNormal([2, 5, 6, 7]);
    const v = tf.randomNormal([7]);
    const s = tf.scalar(0.5);
    for (let i = 0; i < 3; i++) tf.dispose([tf.transpose(x, [3, 1, 2, 0]), tf.sub(v, x), tf.lessEqual(x, s), tf.mul(x, x)]);
    tf.dispose([x, v, s]);
    expect(backend.numDataIds()).toBe(ids);
  });
});

describe('Minimum / Maximum against a scalar (relu6 in tfjs-layers)', () => {
  it('match the cpu backend for tensor-scalar in both orders, and fall back for other shapes', async () => {
    const { useBackend } = await import('@bears/backend');
    await import('../index.js');
    await useBackend('wasm', { env: null });
    const data = Array.from({ length: 2 * 5 * 7 }, (_, i) => Math.sin(i * 1.7) * 9);
    const cases: Array<[(a: tf.Tensor, b: tf.Tensor) => tf.Tensor, number[], number[]]> = [
      [tf.minimum, [2, 5, 7], []],
      [tf.maximum, [2, 5, 7], []],
      [tf.minimum, [2, 5, 7], [1]],
      [tf.maximum, [2, 5, 7], [1, 1, 1]],
      [tf.minimum, [2, 5, 7], [7]],
    ];
    for (const [op, shapeA, shapeB] of cases) {
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const a = tf.tensor(data, shapeA);
        const b = tf.fill(shapeB, 6) as tf.Tensor;
        const out = [op(a, b), op(b, a)];
        const vals = await Promise.all(out.map((t) => t.data()));
        const shapes = out.map((t) => t.shape);
        tf.dispose([a, b, ...out]);
        return { vals: vals.map((v) => Array.from(v)), shapes };
      };
      const cpu = await run('cpu');
      const wasm = await run('wasm');
      expect(wasm.shapes).toEqual(cpu.shapes);
      expect(wasm.vals).toEqual(cpu.vals);
    }
  });
});
