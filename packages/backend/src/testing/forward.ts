import * as tf from '@tensorflow/tfjs-core';
import { compareWithCpu, input } from './check.js';
import type { CompareSpec, ConformanceCase, Scale } from './types.js';

/** Forward ops a learner uses, against the cpu reference. */
export function forwardCases(scale: Scale): ConformanceCase[] {
  const n = scale === 'full' ? 4 : 2;
  const s = scale === 'full' ? 16 : 6;
  const c = scale === 'full' ? 16 : 4;
  const x = (seed: number, ch = c, hw = s) => input([n, hw, hw, ch], seed);
  const cases: CompareSpec[] = [
    ['Conv2D 3x3 stride 1 same', [x(1), input([3, 3, c, 8], 2)], (a, f) => tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')],
    ['Conv2D 3x3 stride 2 valid, non-square', [input([n, s + 1, s, c], 3), input([3, 2, c, 5], 4)], (a, f) => tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid')],
    ['Conv2D 1x1 pointwise', [x(5), input([1, 1, c, 12], 6)], (a, f) => tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')],
    ['FusedConv2D + bias + relu', [x(7), input([3, 3, c, 6], 8), input([6], 9)], (a, f, b) => tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' })],
    ['DepthwiseConv2dNative stride 1 same', [x(10), input([3, 3, c, 1], 11)], (a, f) => tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')],
    ['DepthwiseConv2dNative stride 2, multiplier 2', [x(12), input([3, 3, c, 2], 13)], (a, f) => tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')],
    ['FusedDepthwiseConv2D + bias + relu6', [x(14), input([3, 3, c, 1], 15), input([c], 16)], (a, f, b) => tf.fused.depthwiseConv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu6' })],
    ['FusedBatchNorm (inference form)', [x(17), input([c], 18), input([c], 19, 0.5), input([c], 20), input([c], 21)],
      (a, m, v, o, g) => tf.batchNorm(a, m, tf.add(tf.abs(v), 0.5), o, g, 1e-3)],
    ['batch statistics (moments over N, H, W)', [x(22)], (a) => { const { mean, variance } = tf.moments(a, [0, 1, 2]); return [mean, variance]; }],
    ['MaxPool 2x2 stride 2', [x(23)], (a) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')],
    ['AvgPool 3x3 stride 2 same', [x(24)], (a) => tf.avgPool(a as tf.Tensor4D, 3, 2, 'same')],
    ['global average pool (Mean over H, W)', [x(25)], (a) => tf.mean(a, [1, 2])],
    ['BatchMatMul (dense layer) + bias', [input([n * 2, c * 4], 26), input([c * 4, 7], 27), input([7], 28)], (a, w, b) => tf.add(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D), b)],
    ['BatchMatMul transposed operands', [input([c * 4, n * 2], 29), input([7, c * 4], 30)], (a, w) => tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D, true, true)],
    ['Relu, Relu6, LeakyRelu, Sigmoid, Elu', [input([n, s, c], 31, 8)], (a) => [tf.relu(a), tf.relu6(a), tf.leakyRelu(a, 0.1), tf.sigmoid(a), tf.elu(a)]],
    ['Softmax and LogSoftmax', [input([n * 2, 10], 32, 4)], (a) => [tf.softmax(a), tf.logSoftmax(a)]],
    ['Concat on channels', [x(33), x(34, 3)], (a, b) => tf.concat([a, b], 3)],
    ['Add / Mul / Sub / Div with broadcasting', [x(35), input([c], 36)], (a, b) => [tf.add(a, b), tf.mul(a, b), tf.sub(a, b), tf.div(a, tf.add(tf.abs(b), 1))]],
    ['Sum, Max, ArgMax reductions', [x(37)], (a) => [tf.sum(a, [0, 1, 2]), tf.max(a, 3), tf.cast(tf.argMax(a, 3), 'float32')]],
    ['ResizeBilinear (image resize)', [x(38)], (a) => tf.image.resizeBilinear(a as tf.Tensor4D, [s + 3, s - 1])],
    ['Pad, Slice, Transpose, Reshape', [x(39)], (a) => tf.reshape(tf.transpose(tf.slice(tf.pad(a, [[0, 0], [1, 1], [2, 0], [0, 0]]), [0, 1, 0, 0], [n, s, s, c]), [0, 3, 1, 2]), [n, -1])],
  ];
  return cases.map(([name, inputs, fn]) => ({
    group: 'forward',
    name,
    run: () => compareWithCpu(name, inputs, fn),
  }));
}
