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
 * float32 binary ops with a native path for the shapes a training step produces: same shape,
 * [.., C] op [C] (batch-norm and its gradient) and tensor op scalar (relu6's gradient, loss
 * scaling). tfjs-wasm runs every broadcast through an index-per-element loop (LessEqual(x, 6)
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
    let c: number;
    if (tf.util.sizeFromShape(a.shape) === total && (c = trailingBlock(b.shape, outShape)) >= 0) {
      [full, vec, fn] = [a, b, op];
    } else if (tf.util.sizeFromShape(b.shape) === total && (c = trailingBlock(a.shape, outShape)) >= 0) {
      [full, vec, fn] = [b, a, swapped];
    } else {
      return fallback();
    }
    const out = backend.makeOutput(outShape, outDtype ?? 'float32');
    if (total === 0) return out;
    native.binary[fn](heapOffset(backend, full.dataId), heapOffset(backend, vec.dataId), heapOffset(backend, out.dataId), total / c, c);
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
