import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@bears/backend'; // registers tfjs gradients
import { beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../test-support/rng.js';
import { setConvGradPath } from './conv-grad-path.js';
import { registerTrainingKernels } from './index.js';
import { nativeKernels, setNativeKernelsEnabled } from './wasm/native.js';

// Each composed wasm kernel against tfjs-backend-cpu's reference loop on seeded random shapes.

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
interface Geometry {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function randomData(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function onBackend<T>(name: string, f: () => T): Promise<T> {
  await tf.setBackend(name);
  return f();
}

/** Runs a kernel by name on a backend from plain arrays; returns values and shape. */
async function runKernel(
  backend: string,
  kernel: string,
  inputs: Record<string, { data: Float32Array; shape: number[] }>,
  attrs: Record<string, unknown>,
): Promise<{ values: Float32Array; shape: number[] }> {
  return onBackend(backend, () => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape);
    const out = tf.engine().runKernel(kernel, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
    const res = { values: out.dataSync() as Float32Array, shape: out.shape };
    tf.dispose([out, ...Object.values(ts)]);
    return res;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { diff, scale };
}

function expectClose(got: { values: Float32Array; shape: number[] }, want: { values: Float32Array; shape: number[] }, label: string): void {
  expect(got.shape, label).toEqual(want.shape);
  const { diff, scale } = maxAbsDiff(got.values, want.values);
  expect(diff, `${label}: max |diff| ${diff} (max |ref| ${scale})`).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
}

function outShape(g: Geometry, depthwise: boolean): number[] {
  const info = tf.backend_util.computeConv2DInfo(g.x, g.f, g.strides, g.dilations, g.pad, g.dimRoundingMode, depthwise);
  return info.outShape;
}

/** A random forward convolution; either strides or dilations (tfjs forbids both > 1). */
function randomGeometry(r: () => number, depthwise: boolean): Geometry {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (;;) {
    const b = int(1, 3), h = int(3, 10), w = int(3, 10), c = int(1, 5);
    const fh = int(1, 3), fw = int(1, 3);
    const out = depthwise ? int(1, 3) : int(1, 5);
    const useDil = depthwise && r() < 0.25;
    const strides: [number, number] = useDil ? [1, 1] : [int(1, 2), int(1, 2)];
    const dilations: [number, number] = useDil ? [int(1, 2), int(1, 3)] : [1, 1];
    const k = r();
    let pad: Pad;
    let dimRoundingMode: Geometry['dimRoundingMode'];
    if (k < 0.35) pad = 'same';
    else if (k < 0.7) pad = 'valid';
    else if (k < 0.85) pad = [[0, 0], [int(0, 2), int(0, 2)], [int(0, 2), int(0, 2)], [0, 0]];
    else { pad = int(0, 1); dimRoundingMode = (['floor', 'round', 'ceil'] as const)[int(0, 2)]; }
    const g: Geometry = { x: [b, h, w, c], f: [fh, fw, c, out], strides, dilations, pad, dimRoundingMode };
    try {
      const o = outShape(g, depthwise);
      if (o.every((d) => d > 0)) return g;
    } catch {
      // geometry tfjs rejects (e.g. filter larger than input); draw again
    }
  }
}

/** The dilated filter written out with zeros, so cpu's dilation-free backprop loops give a reference. */
function expandFilter(f: Float32Array, shape: number[], dh: number, dw: number): { data: Float32Array; shape: number[] } {
  const [fh, fw, c, m] = shape as [number, number, number, number];
  const eh = (fh - 1) * dh + 1, ew = (fw - 1) * dw + 1;
  const out = new Float32Array(eh * ew * c * m);
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) for (let k = 0; k < c * m; k++) {
    out[((i * dh) * ew + j * dw) * c * m + k] = f[(i * fw + j) * c * m + k]!;
  }
  return { data: out, shape: [eh, ew, c, m] };
}

function shrinkFilterGrad(g: Float32Array, eshape: number[], dh: number, dw: number, fh: number, fw: number): Float32Array {
  const [, ew, c, m] = eshape as [number, number, number, number];
  const out = new Float32Array(fh * fw * c * m);
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) for (let k = 0; k < c * m; k++) {
    out[(i * fw + j) * c * m + k] = g[((i * dh) * ew + j * dw) * c * m + k]!;
  }
  return out;
}

function label(kernel: string, g: Geometry): string {
  return `${kernel} x=[${g.x}] f=[${g.f}] s=[${g.strides}] d=[${g.dilations}] pad=${JSON.stringify(g.pad)}${g.dimRoundingMode ? ` ${g.dimRoundingMode}` : ''}`;
}

async function checkConv(g: Geometry, r: () => number): Promise<void> {
  const dyShape = outShape(g, false);
  const x = { data: randomData(size(g.x), r), shape: g.x };
  const f = { data: randomData(size(g.f), r), shape: g.f };
  const dy = { data: randomData(size(dyShape), r), shape: dyShape };
  const base = { strides: g.strides, pad: g.pad, dimRoundingMode: g.dimRoundingMode, dataFormat: 'NHWC' };
  const fAttrs = { ...base, filterShape: g.f };
  const iAttrs = { ...base, inputShape: g.x };
  expectClose(await runKernel('wasm', tf.Conv2DBackpropFilter, { x, dy }, fAttrs), await runKernel('cpu', tf.Conv2DBackpropFilter, { x, dy }, fAttrs), label('Conv2DBackpropFilter', g));
  expectClose(await runKernel('wasm', tf.Conv2DBackpropInput, { dy, filter: f }, iAttrs), await runKernel('cpu', tf.Conv2DBackpropInput, { dy, filter: f }, iAttrs), label('Conv2DBackpropInput', g));
}

async function checkDepthwise(g: Geometry, r: () => number): Promise<void> {
  const dyShape = outShape(g, true);
  const x = { data: randomData(size(g.x), r), shape: g.x };
  const f = { data: randomData(size(g.f), r), shape: g.f };
  const dy = { data: randomData(size(dyShape), r), shape: dyShape };
  const base = { strides: g.strides, dilations: g.dilations, pad: g.pad, dimRoundingMode: g.dimRoundingMode };
  const [dh, dw] = g.dilations;
  // cpu's depthwise backprop loops ignore dilations: the reference uses the zero-expanded filter at dilation 1.
  const ef = expandFilter(f.data, g.f, dh, dw);
  const refBase = { ...base, dilations: [1, 1] };
  const gotW = await runKernel('wasm', tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...base, filterShape: g.f });
  const refWe = await runKernel('cpu', tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...refBase, filterShape: ef.shape });
  const refW = { values: shrinkFilterGrad(refWe.values, ef.shape, dh, dw, g.f[0], g.f[1]), shape: g.f };
  expectClose(gotW, refW, label('DepthwiseConv2dNativeBackpropFilter', g));
  const gotX = await runKernel('wasm', tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: f }, { ...base, inputShape: g.x });
  const refX = await runKernel('cpu', tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: ef }, { ...refBase, inputShape: g.x });
  expectClose(gotX, refX, label('DepthwiseConv2dNativeBackpropInput', g));
}

describe('wasm training kernels match tfjs-backend-cpu', () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend('wasm');
    await tf.ready();
  });

  const edge: Array<[string, Geometry]> = [
    ['MobileNet stem (3x3 s2 same, batch 2)', { x: [2, 16, 16, 3], f: [3, 3, 3, 8], strides: [2, 2], dilations: [1, 1], pad: 'same' }],
    ['pointwise 1x1 (GEMM path, inC < outC)', { x: [3, 5, 6, 4], f: [1, 1, 4, 9], strides: [1, 1], dilations: [1, 1], pad: 'valid' }],
    ['pointwise 1x1 (GEMM path, inC > outC)', { x: [2, 7, 5, 9], f: [1, 1, 9, 3], strides: [1, 1], dilations: [1, 1], pad: 'same' }],
    // outC a multiple of 8: the native x^T dy GEMM; inC 7 leaves 3 rows past its 4-row tiles, and
    // 960 pixels span two of its k chunks.
    ['pointwise 1x1 (native GEMM, row tail, two k chunks)', { x: [2, 24, 20, 7], f: [1, 1, 7, 16], strides: [1, 1], dilations: [1, 1], pad: 'valid' }],
    ['pointwise 1x1 (native GEMM, 4-row tiles only)', { x: [1, 9, 9, 12], f: [1, 1, 12, 8], strides: [1, 1], dilations: [1, 1], pad: 'same' }],
    ['1x1 stride 2', { x: [2, 7, 8, 3], f: [1, 1, 3, 4], strides: [2, 2], dilations: [1, 1], pad: 'valid' }],
    ['valid, stride 2, odd size (ignored trailing rows)', { x: [2, 9, 8, 3], f: [3, 2, 3, 4], strides: [2, 2], dilations: [1, 1], pad: 'valid' }],
    ['same, stride 2, even size', { x: [1, 8, 10, 2], f: [3, 3, 2, 2], strides: [2, 2], dilations: [1, 1], pad: 'same' }],
    ['mixed strides [1,2], non-square filter', { x: [2, 6, 9, 3], f: [2, 3, 3, 5], strides: [1, 2], dilations: [1, 1], pad: 'same' }],
    ['explicit asymmetric padding', { x: [2, 6, 7, 2], f: [3, 3, 2, 3], strides: [2, 1], dilations: [1, 1], pad: [[0, 0], [2, 0], [0, 1], [0, 0]] }],
    ['numeric pad with ceil rounding', { x: [1, 7, 7, 2], f: [3, 3, 2, 2], strides: [2, 2], dilations: [1, 1], pad: 1, dimRoundingMode: 'ceil' }],
    ['5x5 filter', { x: [2, 9, 9, 2], f: [5, 5, 2, 3], strides: [1, 1], dilations: [1, 1], pad: 'same' }],
  ];

  for (const [name, g] of edge) {
    it(`conv2d: ${name}`, async () => { await checkConv(g, rng(name.length * 7919)); });
  }

  it('conv2d: 40 random seeded shapes', async () => {
    const r = rng(1234);
    for (let i = 0; i < 40; i++) await checkConv(randomGeometry(r, false), r);
  });

  // 'auto' picks per shape; each road must be right on every geometry, so both are forced in turn.
  for (const road of ['conv', 'patches'] as const) {
    it(`conv2d forced onto the ${road === 'conv' ? 'XNNPACK convolution' : 'im2col/col2im + GEMM'} road: edge cases and 30 random shapes`, async () => {
      setConvGradPath(road);
      try {
        for (const [name, g] of edge) await checkConv(g, rng(name.length * 131));
        const r = rng(road === 'conv' ? 77 : 78);
        for (let i = 0; i < 30; i++) await checkConv(randomGeometry(r, false), r);
      } finally {
        setConvGradPath('auto');
      }
    });
  }

  const dwEdge: Array<[string, Geometry]> = [
    ['MobileNet 3x3 s1 same, batch 2', { x: [2, 8, 8, 6], f: [3, 3, 6, 1], strides: [1, 1], dilations: [1, 1], pad: 'same' }],
    ['MobileNet 3x3 s2 same', { x: [3, 9, 8, 4], f: [3, 3, 4, 1], strides: [2, 2], dilations: [1, 1], pad: 'same' }],
    ['channel multiplier 3, valid', { x: [2, 7, 6, 2], f: [3, 3, 2, 3], strides: [1, 1], dilations: [1, 1], pad: 'valid' }],
    ['channel multiplier 2, stride 2', { x: [2, 8, 7, 3], f: [3, 2, 3, 2], strides: [2, 2], dilations: [1, 1], pad: 'same' }],
    ['dilation 2 same', { x: [2, 9, 9, 3], f: [3, 3, 3, 1], strides: [1, 1], dilations: [2, 2], pad: 'same' }],
    ['dilation [2,3] valid, multiplier 2', { x: [1, 10, 11, 2], f: [2, 3, 2, 2], strides: [1, 1], dilations: [2, 3], pad: 'valid' }],
    ['explicit padding', { x: [2, 6, 6, 2], f: [3, 3, 2, 1], strides: [2, 2], dilations: [1, 1], pad: [[0, 0], [1, 2], [2, 0], [0, 0]] }],
    ['valid stride 2 odd size', { x: [2, 9, 9, 2], f: [3, 3, 2, 1], strides: [2, 2], dilations: [1, 1], pad: 'valid' }],
  ];

  for (const [name, g] of dwEdge) {
    it(`depthwise: ${name}`, async () => { await checkDepthwise(g, rng(name.length * 104729)); });
  }

  it('depthwise: 40 random seeded shapes', async () => {
    const r = rng(99);
    for (let i = 0; i < 40; i++) await checkDepthwise(randomGeometry(r, true), r);
  });

  it('the native wasm SIMD filter-gradient kernel links to the tfjs heap', async () => {
    await tf.setBackend('wasm');
    expect(nativeKernels(tf.backend() as never)).toBeDefined();
  });

  it('without the native kernels (XNNPACK / shifted fallbacks): depthwise edge cases, 20 random shapes, MaxPoolGrad', async () => {
    setNativeKernelsEnabled(false);
    try {
      for (const [name, g] of dwEdge) await checkDepthwise(g, rng(name.length * 31));
      const r = rng(7);
      for (let i = 0; i < 20; i++) await checkDepthwise(randomGeometry(r, true), r);
      for (const [i, [shape, f, st, pad, mode]] of poolCases.entries()) await checkMaxPoolGrad(shape, f, st, pad, 600 + i, mode);
    } finally {
      setNativeKernelsEnabled(true);
    }
  });

  async function checkMaxPoolGrad(shape: [number, number, number, number], filter: [number, number], strides: [number, number], pad: Pad, seed: number, dimRoundingMode?: 'floor' | 'round' | 'ceil'): Promise<void> {
    const r = rng(seed);
    const info = tf.backend_util.computePool2DInfo(shape, filter, strides, 1, pad, dimRoundingMode);
    const x = { data: randomData(size(shape), r), shape };
    const dy = { data: randomData(size(info.outShape), r), shape: info.outShape };
    const attrs = { filterSize: filter, strides, pad, dimRoundingMode };
    // MaxPoolGrad reads x to find each window's maximum; its 'output' input is unused by both backends.
    const inputs = { dy, input: x, output: dy };
    expectClose(await runKernel('wasm', tf.MaxPoolGrad, inputs, attrs), await runKernel('cpu', tf.MaxPoolGrad, inputs, attrs),
      `MaxPoolGrad x=[${shape}] f=[${filter}] s=[${strides}] pad=${JSON.stringify(pad)}`);
  }

  const poolCases: Array<[[number, number, number, number], [number, number], [number, number], Pad, ('floor' | 'round' | 'ceil')?]> = [
    [[2, 6, 6, 3], [2, 2], [2, 2], 'valid'],
    [[1, 4, 4, 1], [2, 2], [2, 2], 'valid'],
    [[2, 7, 5, 4], [3, 3], [2, 2], 'same'],
    [[2, 6, 6, 5], [3, 3], [1, 1], 'same'],
    [[1, 7, 7, 2], [3, 2], [2, 1], 1, 'ceil'],
  ];

  it('MaxPoolGrad (tfjs-wasm drops all-negative windows; ours matches cpu)', async () => {
    for (const [i, [shape, f, st, pad, mode]] of poolCases.entries()) await checkMaxPoolGrad(shape, f, st, pad, 500 + i, mode);
  });

  it('Identity and same-dtype Cast share the buffer; the data outlives the source tensor', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const a = tf.tensor1d([1, -2, 3]);
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    const d = tf.cast(a, 'int32');
    expect(backend.numDataIds()).toBe(ids + 2); // a (shared by b, c) and d
    a.dispose();
    expect(Array.from(await b.data())).toEqual([1, -2, 3]);
    b.dispose();
    expect(Array.from(await c.data())).toEqual([1, -2, 3]);
    expect(Array.from(await d.data())).toEqual([1, -2, 3]);
    tf.dispose([c, d]);
    expect(backend.numDataIds()).toBe(ids);
  });

  it('Tile, Sum and Mean fast paths match cpu (and fall back elsewhere)', async () => {
    const r = rng(4242);
    const x = { data: randomData(2 * 5 * 6 * 7, r), shape: [2, 5, 6, 7] };
    const v = { data: randomData(7, r), shape: [1, 1, 1, 7] };
    const m = { data: randomData(2 * 7, r), shape: [2, 1, 1, 7] };
    for (const [kernel, inputs, attrs] of [
      [tf.Tile, { x: v }, { reps: [2, 5, 6, 1] }],
      [tf.Tile, { x: m }, { reps: [1, 3, 2, 2] }],
      [tf.Sum, { x }, { axis: [0, 1, 2], keepDims: false }],
      [tf.Sum, { x }, { axis: [1, 2], keepDims: true }],
      [tf.Mean, { x }, { axis: [0, 1, 2], keepDims: true }],
      [tf.Mean, { x }, { axis: [3], keepDims: false }],
      [tf.Sum, { x }, { axis: [0, 2], keepDims: false }],
    ] as Array<[string, Record<string, { data: Float32Array; shape: number[] }>, Record<string, unknown>]>) {
      expectClose(await runKernel('wasm', kernel, inputs, attrs), await runKernel('cpu', kernel, inputs, attrs), `${kernel} ${JSON.stringify(attrs)}`);
    }
  });

  it('rejects NCHW with a clear message', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 4, 4]);
    const dy = tf.zeros([1, 2, 4, 4]);
    expect(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [1, 1, 2, 2] } as unknown as tf.NamedAttrMap))
      .toThrow(/'NHWC' only, got 'NCHW'/);
    tf.dispose([x, dy]);
  });

  it('registration is idempotent and leaves no wasm heap behind', async () => {
    await tf.setBackend('wasm');
    registerTrainingKernels();
    registerTrainingKernels();
    const x = tf.randomNormal([2, 8, 8, 4]);
    const f = tf.randomNormal([3, 3, 4, 1]);
    const before = tf.memory().numBytes;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    for (let i = 0; i < 5; i++) {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.depthwiseConv2d(tf.conv2d(a as tf.Tensor4D, tf.ones([3, 3, 4, 4]), 2, 'same'), b as tf.Tensor4D, 1, 'same')))([x, f]);
      tf.dispose(g);
    }
    expect(tf.memory().numBytes).toBe(before);
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([x, f]);
  });
});
