import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forwardGeometry, padOrCrop, zeroDilate } from './geometry.js';
import { composed } from './scope.js';

/**
 * dx of conv2d as a forward XNNPACK convolution (replaces tfjs-wasm's naive C++ loop, about
 * 0.5-1.5 GFLOP/s): dy zero-dilated by the forward strides, convolved at stride 1 with the filter
 * rotated 180 degrees and its in/out channels swapped, padded so the output is the input's size.
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
  return composed(backend, tf.Conv2DBackpropInput, (s) => {
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
