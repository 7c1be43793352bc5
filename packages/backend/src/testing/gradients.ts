import * as tf from '@tensorflow/tfjs-core';
import { assertClose, compareWithCpu, input, runOn, type Input } from './check.js';
import type { ConformanceCase, Scale } from './types.js';

type Loss = (...xs: tf.Tensor[]) => tf.Tensor;

/**
 * Gradients of `f` with respect to its first `names.length` inputs; the remaining inputs are
 * constants (typically a random upstream gradient r, so the loss is sum(r * y)).
 */
function gradCase(name: string, names: string[], inputs: Input[], f: Loss, tol = { rtol: 2e-3, atol: 1e-4 }): ConformanceCase {
  const k = names.length;
  return {
    group: 'gradients',
    name,
    run: () => compareWithCpu(name, inputs, (...xs) => tf.grads((...d: tf.Tensor[]) => f(...d, ...xs.slice(k)))(xs.slice(0, k)), tol, names.map((n) => `d${n}`)),
  };
}

const weighted = (y: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(y, r));

export function gradientCases(scale: Scale): ConformanceCase[] {
  const n = scale === 'full' ? 4 : 2;
  const s = scale === 'full' ? 14 : 6;
  const c = scale === 'full' ? 12 : 3;
  const x = (seed: number, hw = s, ch = c) => input([n, hw, hw, ch], seed);
  const out = (hw: number, ch: number, seed: number) => input([n, hw, hw, ch], seed);
  const half = Math.ceil(s / 2);
  const bnInputs = [x(60), input([c], 61), input([c], 62), out(s, c, 63)];
  return [
    gradCase('Conv2DBackpropInput/Filter 3x3 stride 1 same', ['x', 'filter'], [x(40), input([3, 3, c, 4], 41), out(s, 4, 42)],
      (a, f, r) => weighted(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), r!)),
    gradCase('Conv2DBackpropInput/Filter 3x3 stride 2 same', ['x', 'filter'], [x(43), input([3, 3, c, 5], 44), out(half, 5, 45)],
      (a, f, r) => weighted(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'), r!)),
    gradCase('Conv2DBackpropInput/Filter 3x3 stride 2 valid, odd size', ['x', 'filter'], [x(46, s + 1), input([3, 3, c, 2], 47), out(Math.floor((s - 2) / 2) + 1, 2, 48)],
      (a, f, r) => weighted(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid'), r!)),
    gradCase('Conv2DBackpropInput/Filter 1x1 pointwise', ['x', 'filter'], [x(49), input([1, 1, c, 6], 50), out(s, 6, 51)],
      (a, f, r) => weighted(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'), r!)),
    gradCase('DepthwiseConv2dNativeBackpropInput/Filter stride 1 same', ['x', 'filter'], [x(52), input([3, 3, c, 1], 53), out(s, c, 54)],
      (a, f, r) => weighted(tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), r!)),
    gradCase('DepthwiseConv2dNativeBackpropInput/Filter stride 2 same', ['x', 'filter'], [x(55), input([3, 3, c, 1], 56), out(half, c, 57)],
      (a, f, r) => weighted(tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'), r!)),
    gradCase('DepthwiseConv2dNativeBackpropInput/Filter channel multiplier 2', ['x', 'filter'], [x(58), input([3, 3, c, 2], 59), out(s - 2, c * 2, 64)],
      (a, f, r) => weighted(tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'), r!)),
    gradCase('FusedConv2D (bias + relu) gradients', ['x', 'filter', 'bias'], [x(65), input([3, 3, c, 4], 66), input([4], 67), out(s, 4, 68)],
      (a, f, b, r) => weighted(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }), r!)),
    gradCase('FusedBatchNorm gradients (training mode: batch statistics)', ['x', 'gamma', 'beta'], bnInputs,
      (a, g, b, r) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return weighted(tf.batchNorm(a, mean, variance, b, tf.add(g, 1.5), 1e-3), r!);
      }, { rtol: 5e-3, atol: 2e-4 }),
    gradCase('MaxPoolGrad 2x2 stride 2', ['x'], [x(69), out(Math.floor(s / 2), c, 70)],
      (a, r) => weighted(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), r!)),
    gradCase('AvgPoolGrad 3x3 stride 2 same', ['x'], [x(71), out(half, c, 72)],
      (a, r) => weighted(tf.avgPool(a as tf.Tensor4D, 3, 2, 'same'), r!)),
    gradCase('dense layer gradients (BatchMatMul, bias, relu)', ['x', 'kernel', 'bias'], [input([n * 3, c * 4], 73), input([c * 4, 5], 74), input([5], 75), input([n * 3, 5], 76)],
      (a, w, b, r) => weighted(tf.relu(tf.add(tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D), b)), r!)),
    gradCase('Relu6, softmax cross-entropy gradients', ['logits'], [input([n * 3, 6], 77, 8), input([n * 3, 6], 78)],
      (a, l) => tf.losses.softmaxCrossEntropy(tf.softmax(tf.mul(l!, 4)), tf.relu6(tf.mul(a, 2)))),
    finiteDifferenceCase(),
  ];
}

/**
 * Analytic gradients of conv2d -> depthwise conv on the current backend against central finite
 * differences computed on the same backend in float32, on a tiny case.
 */
function finiteDifferenceCase(): ConformanceCase {
  const name = 'conv2d + depthwise analytic gradients vs finite differences';
  return {
    group: 'gradients',
    name,
    async run() {
      const xs = [input([1, 4, 4, 2], 80), input([3, 3, 2, 2], 81), input([3, 3, 2, 1], 82), input([1, 2, 2, 2], 83)];
      const f = (x: tf.Tensor, w: tf.Tensor, d: tf.Tensor, r: tf.Tensor) =>
        weighted(tf.depthwiseConv2d(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), d as tf.Tensor4D, 2, 'same'), r);
      const backend = tf.getBackend();
      const analytic = await runOn(backend, xs, (x, w, d, r) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => f(a, b, c, r!))([x!, w!, d!]));
      const eps = 1e-2;
      for (let which = 0; which < 3; which++) {
        const base = xs[which]!;
        const numeric = new Float32Array(base.data.length);
        for (let i = 0; i < base.data.length; i++) {
          const at = (delta: number) => {
            const data = Float32Array.from(base.data);
            data[i]! += delta;
            return xs.map((inp, j) => (j === which ? { shape: inp.shape, data } : inp));
          };
          const [plus] = await runOn(backend, at(eps), (a, b, c, r) => f(a!, b!, c!, r!));
          const [minus] = await runOn(backend, at(-eps), (a, b, c, r) => f(a!, b!, c!, r!));
          numeric[i] = (plus!.values[0]! - minus!.values[0]!) / (2 * eps);
        }
        assertClose(`${name}: d${['x', 'filter', 'depthwiseFilter'][which]}`, analytic[which]!, { shape: base.shape, values: numeric }, { rtol: 1e-2, atol: 2e-3 });
      }
    },
  };
}
