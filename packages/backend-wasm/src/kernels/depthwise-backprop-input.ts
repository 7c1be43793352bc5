import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forwardGeometry, padOrCrop, zeroDilate } from './geometry.js';
import { composed } from './scope.js';

/**
 * dx of a depthwise convolution (missing from tfjs-backend-wasm): an XNNPACK depthwise
 * convolution of the zero-dilated dy (inC*mult channels) with the spatially flipped filter at
 * the forward dilation, then a sum over the channel multiplier.
 */
export function depthwiseConv2dNativeBackpropInput(args: {
  inputs: tf.DepthwiseConv2dNativeBackpropInputInputs;
  backend: BackendWasm;
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs & { dataFormat?: string };
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, inputShape, dataFormat } = attrs;
  const name = tf.DepthwiseConv2dNativeBackpropInput;
  const g = forwardGeometry(name, inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true, dataFormat);
  if (dy.shape[1] !== g.outH || dy.shape[2] !== g.outW || dy.shape[3] !== g.outC) {
    throw new Error(`${name}: dy shape [${dy.shape.join(', ')}] does not match the forward output [${g.batch}, ${g.outH}, ${g.outW}, ${g.outC}]`);
  }
  const mult = g.outC / g.inC;
  return composed(backend, name, (s) => {
    const flipped = s.run(tf.Reverse, { x: filter }, { dims: [0, 1] });
    const w = s.reshape(flipped, [g.fH, g.fW, g.outC, 1]);
    const d = zeroDilate(s, dy, g.strideH, g.strideW);
    const spanH = (g.fH - 1) * g.dilH + 1, spanW = (g.fW - 1) * g.dilW + 1;
    const top = spanH - 1 - g.padTop, left = spanW - 1 - g.padLeft;
    const bottom = g.inH + spanH - 1 - top - d.shape[1]!;
    const right = g.inW + spanW - 1 - left - d.shape[2]!;
    const { input, pad: explicit } = padOrCrop(s, d, top, bottom, left, right);
    const y = s.run(tf.DepthwiseConv2dNative, { x: input, filter: w }, {
      strides: [1, 1], dilations: [g.dilH, g.dilW], pad: explicit,
    }); // [B, H, W, inC*mult]
    if (mult === 1) return y;
    const split = s.reshape(y, [g.batch, g.inH, g.inW, g.inC, mult]);
    return s.run(tf.Sum, { x: split }, { axis: [4], keepDims: false });
  });
}

export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as tf.KernelFunc,
};
