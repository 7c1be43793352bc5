import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel } from './override.js';
import { composed } from './scope.js';
import { nativeKernels } from './wasm/native.js';

/**
 * BatchMatMul with a transposed operand. tfjs-wasm sends only untransposed batch-1 products to
 * XNNPACK; a transposed one (every dense layer's backward pass: x^T dy and dy W^T) runs a scalar
 * loop (6.5 ms for [1536, 4] x [4, 512]). Here the operand is transposed natively first, then
 * XNNPACK multiplies. Batched products (batch > 1) and other dtypes keep tfjs's kernel.
 */
export function batchMatMul(args: { inputs: tf.BatchMatMulInputs; backend: BackendWasm; attrs: tf.BatchMatMulAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  const { transposeA, transposeB } = attrs;
  const fallback = () => originalKernel(tf.BatchMatMul)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if ((!transposeA && !transposeB) || !nativeKernels(backend) || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback();
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2 || tf.util.sizeFromShape(a.shape.slice(0, -2)) !== 1 || tf.util.sizeFromShape(b.shape.slice(0, -2)) !== 1) return fallback();
  const [a0, a1] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [b0, b1] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const m = transposeA ? a1 : a0, ka = transposeA ? a0 : a1;
  const kb = transposeB ? b1 : b0, n = transposeB ? b0 : b1;
  if (ka !== kb) return fallback(); // tfjs's kernel reports the mismatch
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)).concat([m, n]);
  return composed(backend, tf.BatchMatMul, (s) => {
    const a3 = s.reshape(a, [1, a0, a1]);
    const b3 = s.reshape(b, [1, b0, b1]);
    const left = transposeA ? s.transpose(a3, [0, 2, 1]) : a3;
    const right = transposeB ? s.transpose(b3, [0, 2, 1]) : b3;
    const out = s.run(tf.BatchMatMul, { a: left, b: right }, { transposeA: false, transposeB: false });
    return s.reshape(out, outShape);
  });
}

export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
