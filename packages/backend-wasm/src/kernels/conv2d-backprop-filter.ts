import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forcedConvGradPath } from './conv-grad-path.js';
import { forwardGeometry, padOrCrop, type ConvGeometry } from './geometry.js';
import { wasmThreadCount } from '../threads.js';
import { composed, type KernelScope } from './scope.js';
import { heapOffset, nativeKernels, type NativeKernels } from './wasm/native.js';

/**
 * dW of conv2d (missing from tfjs-backend-wasm), composed from XNNPACK kernels.
 *
 * 1x1 stride-1 unpadded filters (most of MobileNet): dW = x^T dy as one GEMM over all pixels
 * (the narrower operand on the right, see pointwiseFilterGrad).
 * Strided filters and few input channels (MobileNet's stem: 3x3 stride 2 on RGB): im2col (the
 * patches as [pixels, fH*fW*inC] rows, a wasm kernel) and the same GEMM, cols^T dy.
 * Otherwise: a convolution whose batch is the input channels and whose filter is dy:
 * conv2d(x as [inC, H, W, B], dy as [oH, oW, B, outC], strides = forward dilations,
 * dilations = forward strides, explicit pads) = [inC, fH, fW, outC], then transposed.
 */
export function conv2DBackpropFilter(args: {
  inputs: tf.Conv2DBackpropFilterInputs;
  backend: BackendWasm;
  attrs: tf.Conv2DBackpropFilterAttrs;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const g = forwardGeometry(tf.Conv2DBackpropFilter, x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  if (dy.shape[0] !== g.batch || dy.shape[1] !== g.outH || dy.shape[2] !== g.outW || dy.shape[3] !== g.outC) {
    throw new Error(`Conv2DBackpropFilter: dy shape [${dy.shape.join(', ')}] does not match the forward output [${g.batch}, ${g.outH}, ${g.outW}, ${g.outC}]`);
  }
  return composed(backend, tf.Conv2DBackpropFilter, (s) => {
    const pointwise = g.fH === 1 && g.fW === 1 && g.strideH === 1 && g.strideW === 1 &&
      g.padTop === 0 && g.padBottom === 0 && g.padLeft === 0 && g.padRight === 0;
    if (pointwise) return pointwiseFilterGrad(s, x, dy, g.inC, g.outC);
    const native = nativeKernels(backend);
    const road = forcedConvGradPath() ?? (g.strideH > 1 || g.strideW > 1 || g.inC < 8 ? 'patches' : 'conv');
    if (native && road === 'patches') return patchFilterGrad(s, native, x, dy, g);
    const xt = s.transpose(x, [3, 1, 2, 0]); // [inC, H, W, B]
    const dyt = s.transpose(dy, [1, 2, 0, 3]); // [oH, oW, B, outC]
    // Rows the forward op read: span (fH-1)*dil + (oH-1)*stride + 1 starting at -padTop.
    const bottom = (g.fH - 1) * g.dilH + (g.outH - 1) * g.strideH + 1 - g.padTop - g.inH;
    const right = (g.fW - 1) * g.dilW + (g.outW - 1) * g.strideW + 1 - g.padLeft - g.inW;
    const { input, pad: explicit } = padOrCrop(s, xt, g.padTop, bottom, g.padLeft, right);
    const r = s.run(tf.Conv2D, { x: input, filter: dyt }, {
      strides: [g.dilH, g.dilW], dilations: [g.strideH, g.strideW], pad: explicit, dataFormat: 'NHWC',
    }); // [inC, fH, fW, outC]
    return s.transpose(r, [1, 2, 0, 3]);
  });
}

/**
 * x^T dy as one GEMM. XNNPACK packs the GEMM's right operand (its fully-connected weights) on
 * every call, since it is a new tensor each time, and packing an [n, C] activation costs more than
 * the multiply (62 ms vs 10 ms for n = 12544, C = 144): the narrower of x and dy goes on the right,
 * the other is transposed to be the left operand.
 */
function pointwiseFilterGrad(s: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, inC: number, outC: number): tf.TensorInfo {
  const n = x.shape[0]! * x.shape[1]! * x.shape[2]!;
  // One thread, this GEMM beats pack + XNNPACK on every MobileNet shape (v1 0.75: 141 -> 103 ms
  // per batch of 8). On XNNPACK's thread pool it wins only where the packed operand is large
  // against the product (a narrow side up to 32 channels); elsewhere the pool's two threads win.
  const use = pointwiseGemm && outC % 8 === 0 && (wasmThreadCount() === 1 || Math.min(inC, outC) <= 32);
  const native = use ? nativeKernels(s.backend) : undefined;
  if (native) {
    const w = s.track(s.backend.makeOutput([1, 1, inC, outC], 'float32'));
    // Chunks of dy about 64 KB, so each stays in cache while every row tile of x passes over it.
    const kc = Math.max(16, Math.min(512, Math.floor(16384 / outC)));
    native.gemmTN(heapOffset(s.backend, x.dataId), heapOffset(s.backend, dy.dataId), heapOffset(s.backend, w.dataId), n, inC, outC, kc);
    return w;
  }
  const x2 = s.reshape(x, [1, n, inC]);
  const dy2 = s.reshape(dy, [1, n, outC]);
  const noT = { transposeA: false, transposeB: false };
  if (inC > outC) {
    const xT = s.transpose(x2, [0, 2, 1]);
    const w = s.run(tf.BatchMatMul, { a: xT, b: dy2 }, noT); // [1, inC, outC]
    return s.reshape(w, [1, 1, inC, outC]);
  }
  const dyT = s.transpose(dy2, [0, 2, 1]);
  const wT = s.run(tf.BatchMatMul, { a: dyT, b: x2 }, noT); // [1, outC, inC]
  return s.reshape(s.transpose(wT, [0, 2, 1]), [1, 1, inC, outC]);
}

/**
 * dW from the patches: the XNNPACK convolution road makes x's channels its batch and runs a
 * convolution with an oH x oW kernel, which with 3 input channels (an RGB stem) keeps XNNPACK's
 * tiles mostly empty (18 ms for MobileNet v1's stem at batch 4, vs about 3 for this GEMM).
 */
function patchFilterGrad(s: KernelScope, native: NativeKernels, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const k = g.fH * g.fW * g.inC;
  const cols = s.track(s.backend.makeOutput([g.batch, g.outH, g.outW, k], 'float32'));
  native.im2col(
    heapOffset(s.backend, x.dataId), heapOffset(s.backend, cols.dataId),
    g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.fH, g.fW,
    g.strideH, g.strideW, g.dilH, g.dilW, g.padTop, g.padLeft,
  );
  return s.reshape(pointwiseFilterGrad(s, cols, dy, k, g.outC), [g.fH, g.fW, g.inC, g.outC]);
}

let pointwiseGemm = true;
/** For tests and benchmarks: turn the native x^T dy GEMM off to compare with the XNNPACK road. */
export function setPointwiseGemm(on: boolean): void {
  pointwiseGemm = on;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
