import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { trailingBlock } from './binary.js';
import { originalKernel } from './override.js';
import { heapOffset, nativeKernels } from './wasm/native.js';

/**
 * FusedBatchNorm (tf.batchNorm) with per-channel parameters: folded into one scale and shift per
 * channel (computed in float32 from the [C] vectors) and applied in one SIMD pass. tfjs-wasm's
 * kernel indexes every parameter per element (about 10% of a MobileNetV2 training step). Other
 * parameter shapes use tfjs's kernel.
 */
export function fusedBatchNorm(args: { inputs: tf.FusedBatchNormInputs; backend: BackendWasm; attrs: tf.FusedBatchNormAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const params = [inputs.mean, inputs.variance, inputs.scale, inputs.offset] as Array<tf.TensorInfo | undefined>;
  const native = nativeKernels(backend);
  const c = x.shape.at(-1) ?? 1;
  const perChannel = (t: tf.TensorInfo | undefined) =>
    !t || (t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) === c && trailingBlock(t.shape, x.shape) === c);
  if (!native || x.dtype !== 'float32' || x.shape.length === 0 || !params.every(perChannel)) {
    return originalKernel(tf.FusedBatchNorm)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const read = (t: tf.TensorInfo | undefined, fill: number) =>
    t ? (backend.readSync(t.dataId) as Float32Array) : new Float32Array(c).fill(fill);
  const [mean, variance, gamma, beta] = [read(params[0], 0), read(params[1], 1), read(params[2], 1), read(params[3], 0)];
  const eps = attrs.varianceEpsilon ?? 0.001;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    scale[j] = gamma[j]! / Math.sqrt(variance[j]! + eps);
    shift[j] = beta[j]! - mean[j]! * scale[j]!;
  }
  const out = backend.makeOutput(x.shape, 'float32');
  const total = tf.util.sizeFromShape(x.shape);
  if (total === 0) return out;
  const vecs = backend.makeOutput([2, c], 'float32');
  try {
    const at = heapOffset(backend, vecs.dataId);
    const heap = new Float32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer, at, 2 * c);
    heap.set(scale, 0);
    heap.set(shift, c);
    native.scaleShift(heapOffset(backend, x.dataId), at, at + 4 * c, heapOffset(backend, out.dataId), total / c, c);
  } finally {
    backend.disposeData(vecs.dataId);
  }
  return out;
}

export const fusedBatchNormConfig: tf.KernelConfig = {
  kernelName: tf.FusedBatchNorm,
  backendName: 'wasm',
  kernelFunc: fusedBatchNorm as unknown as tf.KernelFunc,
};
