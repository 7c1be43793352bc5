import * as tf from '@tensorflow/tfjs-core';
import { Adam, Rng } from '@bears/sgd';
import type { OnProgress } from './types.js';

export interface CrossValOptions {
  /** Folds (default 5). */
  folds?: number;
  /** Full-batch Adam steps per fold (default 50: stopping early keeps the probabilities soft, as confident learning wants). */
  steps?: number;
  /** Learning rate (default 0.01). */
  lr?: number;
  /** L2 weight decay (default 0.01). */
  wd?: number;
  seed?: number;
  onProgress?: OnProgress;
}

/** Stratified fold of each item: items of each class shuffled (seeded), then dealt round-robin. */
export function stratifiedFolds(labels: Int32Array, folds: number, seed = 42): Int32Array {
  const out = new Int32Array(labels.length);
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => byClass.set(y, [...(byClass.get(y) ?? []), i]));
  const rng = new Rng(seed);
  let offset = 0;
  for (const k of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(k)!;
    const perm = rng.permutation(idx.length);
    perm.forEach((p, j) => (out[idx[p]!] = (j + offset) % folds));
    offset += idx.length;
  }
  return out;
}

function pick(x: Float32Array, d: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

/**
 * Softmax regression (the cheapest head) on standardized features, trained full-batch with
 * @bears/sgd's Adam from zero weights: convex, so deterministic and seed-free but for the folds.
 * Returns the probabilities of `test` rows (n_test * c).
 */
export function fitPredictSoftmax(x: Float32Array, d: number, labels: Int32Array, c: number, train: number[], test: number[], options: CrossValOptions = {}): Float32Array {
  const steps = options.steps ?? 50;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const r of train) for (let j = 0; j < d; j++) mean[j] += x[r * d + j]!;
  mean.forEach((v, j) => (mean[j] = v / train.length));
  for (const r of train) for (let j = 0; j < d; j++) sq[j] += (x[r * d + j]! - mean[j]!) ** 2;
  const std = Float32Array.from(sq, (v) => Math.sqrt(v / train.length) + 1e-6);
  const meanT = tf.tensor1d(Float32Array.from(mean));
  const stdT = tf.tensor1d(std);
  const xs = tf.tidy(() => tf.div(tf.sub(tf.tensor2d(pick(x, d, train), [train.length, d]), meanT), stdT));
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(train, (r) => labels[r]!), 'int32'), c));
  const w = tf.tidy(() => tf.variable(tf.zeros([d, c]), true, `cv_w_${Math.random().toString(36).slice(2)}`));
  const b = tf.tidy(() => tf.variable(tf.zeros([c]), true, `cv_b_${Math.random().toString(36).slice(2)}`));
  const opt = new Adam([{ params: [w], wd: options.wd ?? 0.01 }, { params: [b], wd: 0 }], { lr: options.lr ?? 0.01 });
  try {
    for (let s = 0; s < steps; s++) {
      const { grads, value } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, tf.add(tf.matMul(xs, w), b)) as tf.Scalar, [w, b]);
      opt.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    return tf.tidy(() => {
      const xt = tf.div(tf.sub(tf.tensor2d(pick(x, d, test), [test.length, d]), meanT), stdT);
      return tf.softmax(tf.add(tf.matMul(xt, w), b)).dataSync() as Float32Array;
    }).slice();
  } finally {
    opt.dispose();
    tf.dispose([meanT, stdT, xs, ys, w, b]);
  }
}

/**
 * Out-of-sample probabilities for every item: k-fold training of a softmax head on the frozen
 * body's features (no body passes: one feature extraction serves every fold).
 */
export function crossValProbs(features: Float32Array, d: number, labels: Int32Array, c: number, options: CrossValOptions = {}): Float32Array {
  const n = labels.length;
  if (features.length !== n * d) throw new RangeError(`features has ${features.length} values, expected ${n} x ${d}`);
  const k = Math.max(2, Math.min(options.folds ?? 5, n));
  const fold = stratifiedFolds(labels, k, options.seed ?? 42);
  const out = new Float32Array(n * c);
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    if (test.length) {
      const p = fitPredictSoftmax(features, d, labels, c, train, test, options);
      test.forEach((r, i) => out.set(p.subarray(i * c, (i + 1) * c), r * c));
    }
    options.onProgress?.({ phase: 'folds', done: f + 1, total: k });
  }
  return out;
}
