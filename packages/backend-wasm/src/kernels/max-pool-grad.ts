import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel } from './override.js';
import { composed } from './scope.js';
import { heapOffset, nativeKernels } from './wasm/native.js';

/**
 * dx of max pooling. tfjs-backend-wasm 4.22's MaxPoolGrad (and MaxPoolWithArgmax) start the
 * running maximum at FLT_MIN, a positive number, so a window whose values are all negative (common
 * after batch norm) passes no gradient at all. Ours is a small wasm kernel (kernels.wat) that picks
 * the first maximum of each window, as tfjs-backend-cpu does.
 */
export function maxPoolGrad(args: { inputs: tf.MaxPoolGradInputs; backend: BackendWasm; attrs: tf.MaxPoolGradAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const x = inputs.input as tf.TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  if (x.shape.length !== 4) throw new Error(`MaxPoolGrad on wasm expects a rank-4 NHWC input, got [${x.shape.join(', ')}]`);
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const native = nativeKernels(backend);
  if (!native) return shiftedFallback(args);
  const dx = backend.makeOutput(x.shape, 'float32');
  native.maxPoolGrad(
    heapOffset(backend, x.dataId), heapOffset(backend, dy.dataId), heapOffset(backend, dx.dataId),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.effectiveFilterHeight, info.effectiveFilterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
  );
  return dx;
}

/**
 * Without the native kernel: tfjs's kernel on x shifted to be positive everywhere (argmax does not
 * change under a shift, so the FLT_MIN start no longer matters).
 */
function shiftedFallback(args: { inputs: tf.MaxPoolGradInputs; backend: BackendWasm; attrs: tf.MaxPoolGradAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.input as tf.TensorInfo;
  return composed(backend, tf.MaxPoolGrad, (s) => {
    const min = s.run(tf.Min, { x }, { axis: x.shape.map((_, i) => i), keepDims: false });
    const one = s.track(backend.makeOutput([], 'float32'));
    backend.typedArrayFromHeap(one).set([1]);
    const shifted = s.run(tf.Add, { a: s.run(tf.Sub, { a: x, b: min }), b: one });
    return s.track(originalKernel(tf.MaxPoolGrad)({ inputs: { ...inputs, input: shifted }, backend, attrs } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo);
  });
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
