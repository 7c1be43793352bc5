import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forwardGeometry, padOrCrop } from './geometry.js';
import { composed, type KernelScope } from './scope.js';
import { heapOffset, nativeKernels, type NativeKernels } from './wasm/native.js';
import type { ConvGeometry } from './geometry.js';

/**
 * dW of a depthwise convolution (missing from tfjs-backend-wasm).
 *
 * Main path: one pass of a small hand-written wasm SIMD kernel over x and dy on the backend's own
 * heap (wasm/kernels.wat). The job is a per-channel reduction over every pixel,
 * which XNNPACK can only express as a depthwise convolution with an oH x oW kernel, a shape it
 * runs at about 0.2 GFLOP/s.
 *
 * Fallback (the native kernel cannot link): that XNNPACK depthwise convolution: x becomes a single
 * image with inC*B channels ([1, H, W, inC*B]), dy its [oH, oW, inC*B, mult] filter, strides and
 * dilations swap; the result [1, fH, fW, inC*B*mult] is summed over the batch.
 */
export function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: tf.DepthwiseConv2dNativeBackpropFilterInputs;
  backend: BackendWasm;
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs & { dataFormat?: string };
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, filterShape, dataFormat } = attrs;
  const name = tf.DepthwiseConv2dNativeBackpropFilter;
  const g = forwardGeometry(name, x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true, dataFormat);
  if (dy.shape[0] !== g.batch || dy.shape[1] !== g.outH || dy.shape[2] !== g.outW || dy.shape[3] !== g.outC) {
    throw new Error(`${name}: dy shape [${dy.shape.join(', ')}] does not match the forward output [${g.batch}, ${g.outH}, ${g.outW}, ${g.outC}]`);
  }
  const mult = g.outC / g.inC;
  const B = g.batch;
  const native = nativeKernels(backend);
  return composed(backend, name, (s) => {
    if (native) return nativeFilterGrad(s, native, x, dy, g, mult);
    const xt = s.reshape(s.transpose(x, [1, 2, 3, 0]), [1, g.inH, g.inW, g.inC * B]); // channel = c*B + b
    const dy5 = s.reshape(dy, [B, g.outH, g.outW, g.inC, mult]);
    const f = s.reshape(s.transpose(dy5, [1, 2, 3, 0, 4]), [g.outH, g.outW, g.inC * B, mult]);
    const bottom = (g.fH - 1) * g.dilH + (g.outH - 1) * g.strideH + 1 - g.padTop - g.inH;
    const right = (g.fW - 1) * g.dilW + (g.outW - 1) * g.strideW + 1 - g.padLeft - g.inW;
    const { input, pad: explicit } = padOrCrop(s, xt, g.padTop, bottom, g.padLeft, right);
    const r = s.run(tf.DepthwiseConv2dNative, { x: input, filter: f }, {
      strides: [g.dilH, g.dilW], dilations: [g.strideH, g.strideW], pad: explicit,
    }); // [1, fH, fW, inC*B*mult]
    if (B === 1) return s.reshape(r, [g.fH, g.fW, g.inC, mult]);
    const split = s.reshape(r, [g.fH, g.fW, g.inC, B, mult]);
    return s.run(tf.Sum, { x: split }, { axis: [3], keepDims: false });
  });
}

function nativeFilterGrad(s: KernelScope, native: NativeKernels, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry, mult: number): tf.TensorInfo {
  let xs = x;
  if (mult > 1) {
    // Repeat each input channel mult times so channel c*mult+m of x lines up with dy's.
    const x5 = s.reshape(x, [g.batch, g.inH, g.inW, g.inC, 1]);
    xs = s.reshape(s.run(tf.Tile, { x: x5 }, { reps: [1, 1, 1, 1, mult] }), [g.batch, g.inH, g.inW, g.outC]);
  }
  const out = s.backend.makeOutput([g.fH, g.fW, g.inC, mult], 'float32');
  s.track(out);
  native.depthwiseFilterGrad(
    heapOffset(s.backend, xs.dataId), heapOffset(s.backend, dy.dataId), heapOffset(s.backend, out.dataId),
    g.batch, g.inH, g.inW, g.outC, g.outH, g.outW, g.fH, g.fW,
    g.strideH, g.strideW, g.dilH, g.dilW, g.padTop, g.padLeft,
  );
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as tf.KernelFunc,
};
