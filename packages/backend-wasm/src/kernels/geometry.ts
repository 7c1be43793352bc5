import * as tf from '@tensorflow/tfjs-core';
import type { KernelScope } from './scope.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export interface ConvGeometry {
  batch: number;
  inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  fH: number; fW: number;
  strideH: number; strideW: number;
  dilH: number; dilW: number;
  padTop: number; padBottom: number; padLeft: number; padRight: number;
}

/** The forward convolution's geometry, exactly as tfjs computes it (same/valid/explicit, dimRoundingMode). */
export function forwardGeometry(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number] | undefined,
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
  dataFormat: string | undefined,
): ConvGeometry {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName} on wasm supports dataFormat 'NHWC' only, got '${dataFormat}': transpose NCHW inputs to NHWC first`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernelName} on wasm expects rank-4 input and filter, got [${xShape.join(', ')}] and [${filterShape.join(', ')}]`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
    outH: info.outHeight, outW: info.outWidth, outC: info.outChannels,
    fH: info.filterHeight, fW: info.filterWidth,
    strideH: info.strideHeight, strideW: info.strideWidth,
    dilH: info.dilationHeight, dilW: info.dilationWidth,
    padTop: info.padInfo.top, padBottom: info.padInfo.bottom, padLeft: info.padInfo.left, padRight: info.padInfo.right,
  };
}

/**
 * Inserts (s - 1) zeros after every row/column of an NHWC tensor (strides of the forward op become
 * a stride-1 convolution in the backward one). The result is [B, H*sh, W*sw, C]: it ends with
 * sh - 1 zero rows and sw - 1 zero columns, which callers account for in their padding.
 */
export function zeroDilate(s: KernelScope, t: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  if (sh === 1 && sw === 1) return t;
  const [b, h, w, c] = t.shape as [number, number, number, number];
  const r = s.reshape(t, [b, h, 1, w, 1, c]);
  const p = s.run(tf.PadV2, { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
  return s.reshape(p, [b, h * sh, w * sw, c]);
}

/**
 * Prepares padding for an XNNPACK convolution: positive pads are passed to the convolution as
 * explicit padding (no copy); negative ones (the forward op ignored trailing rows) crop the input.
 */
export function padOrCrop(
  s: KernelScope,
  t: tf.TensorInfo,
  top: number, bottom: number, left: number, right: number,
): { input: tf.TensorInfo; pad: tf.backend_util.ExplicitPadding } {
  let input = t;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [b, h, w, c] = t.shape as [number, number, number, number];
    const ct = Math.max(0, -top), cb = Math.max(0, -bottom), cl = Math.max(0, -left), cr = Math.max(0, -right);
    input = s.run(tf.Slice, { x: t }, { begin: [0, ct, cl, 0], size: [b, h - ct - cb, w - cl - cr, c] });
  }
  return {
    input,
    pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]],
  };
}
