import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forcedConvGradPath } from './conv-grad-path.js';
import { forwardGeometry, padOrCrop, zeroDilate } from './geometry.js';
import { composed } from './scope.js';
import { heapOffset, nativeKernels } from './wasm/native.js';

/**
 * dx of conv2d as a forward XNNPACK convolution (replaces tfjs-wasm's naive C++ loop, about
 * 0.5-1.5 GFLOP/s): dy zero-dilated by the forward strides, convolved at stride 1 with the filter
 * rotated 180 degrees and its in/out channels swapped, padded so the output is the input's size.
 * Strided: that convolution would multiply mostly inserted zeros (3/4 at stride 2), so instead one
 * GEMM dy W^T gives every patch's gradient ([pixels, fH*fW*inC]) and col2im (a wasm kernel) sums
 * the patches back onto the image: the forward's FLOPs (MobileNet v1's stem: 25 -> ~6 ms at batch 4).
 */
export function conv2DBackpropInput(args: {
  inputs: tf.Conv2DBackpropInputInputs;
  backend: BackendWasm;
  attrs: tf.Conv2DBackpropInputAttrs;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const g = forwardGeometry(tf.Conv2DBackpropInput, inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  if (dy.shape[1] !== g.outH || dy.shape[2] !== g.outW || dy.shape[3] !== g.outC) {
    throw new Error(`Conv2DBackpropInput: dy shape [${dy.shape.join(', ')}] does not match the forward output [${g.batch}, ${g.outH}, ${g.outW}, ${g.outC}]`);
  }
  const native = nativeKernels(backend);
  const road = forcedConvGradPath() ?? (g.strideH > 1 || g.strideW > 1 ? 'patches' : 'conv');
  return composed(backend, tf.Conv2DBackpropInput, (s) => {
    if (native && road === 'patches') {
      const k = g.fH * g.fW * g.inC;
      const p = g.batch * g.outH * g.outW;
      const wT = s.transpose(s.reshape(filter, [1, k, g.outC]), [0, 2, 1]); // [1, outC, fH*fW*inC]
      const cols = s.run(tf.BatchMatMul, { a: s.reshape(dy, [1, p, g.outC]), b: wT }, { transposeA: false, transposeB: false });
      const dx = s.track(backend.makeOutput([g.batch, g.inH, g.inW, g.inC], 'float32'));
      native.col2im(
        heapOffset(backend, cols.dataId), heapOffset(backend, dx.dataId),
        g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.fH, g.fW,
        g.strideH, g.strideW, g.dilH, g.dilW, g.padTop, g.padLeft,
      );
      return dx;
    }
    // tfjs-wasm's Reverse is an index-per-element loop: skip it where the flip is a no-op (1x1).
    const rotated = g.fH === 1 && g.fW === 1 ? filter : s.run(tf.Reverse, { x: filter }, { dims: [0, 1] });
    const w = s.transpose(rotated, [0, 1, 3, 2]); // [fH, fW, outC, inC]
    const d = zeroDilate(s, dy, g.strideH, g.strideW);
    const spanH = (g.fH - 1) * g.dilH + 1, spanW = (g.fW - 1) * g.dilW + 1;
    const top = spanH - 1 - g.padTop, left = spanW - 1 - g.padLeft;
    const bottom = g.inH + spanH - 1 - top - d.shape[1]!;
    const right = g.inW + spanW - 1 - left - d.shape[2]!;
    const { input, pad: explicit } = padOrCrop(s, d, top, bottom, left, right);
    return s.run(tf.Conv2D, { x: input, filter: w }, { strides: [1, 1], dilations: [1, 1], pad: explicit, dataFormat: 'NHWC' });
  });
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
