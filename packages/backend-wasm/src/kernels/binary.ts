import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel } from './override.js';
import { heapOffset, nativeKernels, type BinaryOpName } from './wasm/native.js';

/**
 * Length of the trailing block of `out` that `small` covers when it broadcasts along leading axes
 * only (small = [1, ..., 1, out[k], ..., out[rank-1]] after left-padding with 1s), else -1.
 */
export function trailingBlock(small: readonly number[], out: readonly number[]): number {
  const pad = out.length - small.length;
  if (pad < 0) return -1;
  let i = out.length - 1;
  let block = 1;
  for (; i >= pad && small[i - pad] === out[i]; i--) block *= out[i]!;
  for (; i >= pad; i--) if (small[i - pad] !== 1) return -1;
  return block;
}

/**
 * [outer, middle, inner] blocks of `out` when `small` (left-padded with 1s) equals out except on one
 * run of axes where it is 1: [N, H, W, C] op [N, 1, 1, C] (the gradient of a global max pool) is
 * outer N, middle H*W, inner C. undefined when small does not broadcast that way.
 */
export function middleBroadcast(small: readonly number[], out: readonly number[]): { outer: number; middle: number; inner: number } | undefined {
  const pad = out.length - small.length;
  if (pad < 0) return undefined;
  const s = [...Array<number>(pad).fill(1), ...small];
  let i0 = 0;
  while (i0 < out.length && s[i0] === out[i0]) i0++;
  let i1 = i0;
  while (i1 < out.length && s[i1] === 1) i1++;
  for (let i = i1; i < out.length; i++) if (s[i] !== out[i]) return undefined;
  const prod = (a: number, b: number) => out.slice(a, b).reduce((p, d) => p * d, 1);
  return { outer: prod(0, i0), middle: prod(i0, i1), inner: prod(i1, out.length) };
}

/** Calls of the native op per broadcast: above this, tfjs's loop is as good as a JS loop of calls. */
const MAX_OUTER_CALLS = 4096;

/**
 * float32 binary ops with a native path for the shapes a training step produces: same shape,
 * [.., C] op [C] (batch-norm and its gradient), tensor op scalar (relu6's gradient, loss
 * scaling) and [N, H, W, C] op [N, 1, 1, C] (global max pool's gradient: 20 ms in tfjs's loop). tfjs-wasm runs every broadcast through an index-per-element loop (LessEqual(x, 6)
 * alone was 10% of a MobileNetV2 step). Other broadcasts and dtypes use tfjs's kernel.
 */
function binaryKernel(kernelName: string, op: BinaryOpName, swapped: BinaryOpName, outDtype?: tf.DataType): tf.KernelConfig {
  const kernelFunc = (args: { inputs: tf.BinaryInputs; backend: BackendWasm }): tf.TensorInfo => {
    const { inputs, backend } = args;
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const native = nativeKernels(backend);
    const fallback = () => originalKernel(kernelName)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    if (!native || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback();
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const total = tf.util.sizeFromShape(outShape);
    let full: tf.TensorInfo;
    let vec: tf.TensorInfo;
    let fn: BinaryOpName;
    let blocks: { outer: number; middle: number; inner: number } | undefined;
    if (tf.util.sizeFromShape(a.shape) === total && (blocks = middleBroadcast(b.shape, outShape))) {
      [full, vec, fn] = [a, b, op];
    } else if (tf.util.sizeFromShape(b.shape) === total && (blocks = middleBroadcast(a.shape, outShape))) {
      [full, vec, fn] = [b, a, swapped];
    } else {
      return fallback();
    }
    const { outer, middle, inner } = blocks;
    if (outer > MAX_OUTER_CALLS) return fallback();
    const out = backend.makeOutput(outShape, outDtype ?? 'float32');
    if (total === 0) return out;
    const outBytes = outDtype === 'bool' ? 1 : 4;
    const f = heapOffset(backend, full.dataId), v = heapOffset(backend, vec.dataId), o = heapOffset(backend, out.dataId);
    // One native call per outer block: [middle, inner] op [inner].
    for (let k = 0; k < outer; k++) {
      native.binary[fn](f + k * middle * inner * 4, v + k * inner * 4, o + k * middle * inner * outBytes, middle, inner);
    }
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

export const binaryConfigs: readonly tf.KernelConfig[] = [
  binaryKernel(tf.Add, 'add', 'add'),
  binaryKernel(tf.Sub, 'sub', 'subR'),
  binaryKernel(tf.Multiply, 'mul', 'mul'),
  binaryKernel(tf.RealDiv, 'div', 'divR'),
  binaryKernel(tf.Less, 'less', 'greater', 'bool'),
  binaryKernel(tf.LessEqual, 'lessEqual', 'greaterEqual', 'bool'),
  binaryKernel(tf.Greater, 'greater', 'less', 'bool'),
  binaryKernel(tf.GreaterEqual, 'greaterEqual', 'lessEqual', 'bool'),
  binaryKernel(tf.Equal, 'equal', 'equal', 'bool'),
];
