import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs's gradients (tf.variableGrads needs them) through the backend interface.
import '@bears/backend';
import { Rng } from '@bears/data';

/**
 * The lesson's "SGD from scratch": fit a line y = a0 * x + a1 to noisy points by gradient
 * descent, with the gradient from autodiff and the update written out by hand.
 */

/** Synthetic regression data, kept as plain arrays so it can be plotted, saved and re-used. */
export interface LinearData {
  n: number;
  /** Columns of x: the features plus the constant 1 (the lesson's x has 2: uniform(-1, 1) and 1). */
  d: number;
  /** x, row-major n x d. */
  x: Float32Array;
  y: Float32Array;
  /** The parameters the data was made with. */
  trueA: number[];
  seed: number;
}

export interface MakeLinearDataOptions {
  /** Number of points (the lesson: 100). */
  n?: number;
  /** True parameters, the last one the intercept (the lesson: [3, 2]). */
  a?: number[];
  /**
   * The noise added to y. A number is the width of zero-mean uniform noise (default 1, i.e.
   * uniform(-0.5, 0.5), so the true `a` is what least squares recovers); 'lesson' is the
   * notebook's `torch.rand(n)`, uniform [0, 1), which shifts the recovered intercept by 0.5.
   */
  noise?: number | 'lesson';
  seed?: number;
}

/** The lesson's data: x = [uniform(-1, 1), 1], y = x @ a + noise, seeded. */
export function makeLinearData(options: MakeLinearDataOptions = {}): LinearData {
  const { n = 100, a = [3, 2], noise = 1, seed = 42 } = options;
  if (!Number.isInteger(n) || n < 2) throw new Error(`makeLinearData: n must be an integer >= 2, got ${n}`);
  if (!Array.isArray(a) || a.length < 1 || a.some((v) => !Number.isFinite(v))) {
    throw new Error(`makeLinearData: a must be a non-empty array of finite numbers, got ${JSON.stringify(a)}`);
  }
  if (noise !== 'lesson' && !(typeof noise === 'number' && Number.isFinite(noise) && noise >= 0)) {
    throw new Error(`makeLinearData: noise must be a width >= 0 or 'lesson', got ${String(noise)}`);
  }
  const d = a.length;
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let j = 0; j < d; j++) {
      const v = j === d - 1 ? 1 : rng.uniform(-1, 1);
      x[i * d + j] = v;
      dot += v * a[j]!;
    }
    const eps = noise === 'lesson' ? rng.next() : (rng.next() - 0.5) * noise;
    y[i] = dot + eps;
  }
  return { n, d, x, y, trueA: [...a], seed };
}

/** Mean squared error, the lesson's `((y_hat - y) ** 2).mean()`. Shapes must match (no silent broadcasting). */
export function mse(yHat: tf.Tensor, y: tf.Tensor): tf.Scalar {
  if (yHat.size !== y.size || yHat.shape.length !== y.shape.length || yHat.shape.some((s, i) => s !== y.shape[i])) {
    // [n,1] - [n] would broadcast to [n,n] and quietly compute the wrong loss.
    throw new Error(`mse: yHat shape [${yHat.shape}] and y shape [${y.shape}] differ`);
  }
  return tf.tidy(() => tf.mean(tf.square(tf.sub(yHat, y))));
}

/** The best possible fit (ordinary least squares), what gradient descent should approach. */
export function leastSquares(data: LinearData): { a: number[]; loss: number } {
  const { n, d, x, y } = data;
  // Normal equations X^T X a = X^T y, solved by Gaussian elimination with partial pivoting.
  const m = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < d; r++) {
      const xr = x[i * d + r]!;
      for (let c = 0; c < d; c++) m[r]![c]! += xr * x[i * d + c]!;
      m[r]![d]! += xr * y[i]!;
    }
  }
  for (let col = 0; col < d; col++) {
    let piv = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[piv]![col]!)) piv = r;
    if (Math.abs(m[piv]![col]!) < 1e-12) throw new Error('leastSquares: x has linearly dependent columns');
    [m[col], m[piv]] = [m[piv]!, m[col]!];
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= d; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const a = m.map((row, i) => row[d]! / row[i]!);
  return { a, loss: lossAt(data, a) };
}

/** Full-data mse at parameters `a`, computed in float64 on the CPU (for recording and diagnosis). */
export function lossAt(data: LinearData, a: readonly number[]): number {
  const { n, d, x, y } = data;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let j = 0; j < d; j++) p += x[i * d + j]! * a[j]!;
    s += (p - y[i]!) ** 2;
  }
  return s / n;
}

export interface LinearStep {
  /** 0 is the initial guess; step t holds the parameters after t updates. */
  step: number;
  /** Epoch the update belonged to (0 for the initial guess; full-batch GD: one step per epoch). */
  epoch: number;
  a: number[];
  /** Full-data mse at `a`. */
  loss: number;
  /** Minibatch SGD: the mse on the minibatch the update used (computed before the update). */
  batchLoss?: number;
  /** Minibatch SGD: indices of the points the update used. */
  batch?: number[];
}

export interface LinearRun {
  method: 'gd' | 'sgd';
  lr: number;
  batchSize: number;
  history: LinearStep[];
  /** Final parameters and full-data loss. */
  a: number[];
  loss: number;
  /** True when the loss became NaN or infinite (training stops there). */
  diverged: boolean;
}

export interface TrainLinearOptions {
  /** Learning rate (the lesson: 0.1). */
  lr?: number;
  /** Initial parameters (the lesson: [-1, 1]). */
  init?: number[];
  /** Called after each update with the new step, e.g. to draw it live. */
  onStep?: (step: LinearStep) => void | Promise<void>;
}

export interface GradientDescentOptions extends TrainLinearOptions {
  /** Number of full-batch updates (the lesson: 100). */
  steps?: number;
}

export interface MinibatchSgdOptions extends TrainLinearOptions {
  epochs?: number;
  batchSize?: number;
  /** Seed for the minibatch order (reshuffled each epoch). */
  seed?: number;
  /** Drop the last incomplete minibatch of each epoch. */
  dropLast?: boolean;
}

/** Full-batch gradient descent: `steps` times, a -= lr * d(mse)/da over all points. */
export async function gradientDescent(data: LinearData, options: GradientDescentOptions = {}): Promise<LinearRun> {
  const steps = options.steps ?? 100;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`gradientDescent: steps must be an integer >= 0, got ${steps}`);
  const all = Array.from({ length: data.n }, (_, i) => i);
  return train(data, 'gd', options, data.n, Array.from({ length: steps }, () => [all]));
}

/** Minibatch SGD: each epoch visits the points in a fresh random order, `batchSize` at a time. */
export async function minibatchSgd(data: LinearData, options: MinibatchSgdOptions = {}): Promise<LinearRun> {
  const { epochs = 10, batchSize = 10, seed = 0, dropLast = false } = options;
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`minibatchSgd: epochs must be an integer >= 0, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`minibatchSgd: batchSize must be an integer >= 1, got ${batchSize}`);
  const rng = new Rng(seed);
  const schedule: number[][][] = [];
  for (let e = 0; e < epochs; e++) {
    const perm = rng.permutation(data.n);
    const batches: number[][] = [];
    for (let i = 0; i < data.n; i += batchSize) {
      const b = perm.slice(i, i + batchSize);
      if (dropLast && b.length < batchSize) break;
      batches.push(b);
    }
    schedule.push(batches);
  }
  return train(data, 'sgd', options, Math.min(batchSize, data.n), schedule);
}

async function train(
  data: LinearData,
  method: LinearRun['method'],
  options: TrainLinearOptions,
  batchSize: number,
  epochs: number[][][],
): Promise<LinearRun> {
  checkData(data);
  const lr = options.lr ?? 0.1;
  if (!Number.isFinite(lr) || lr <= 0) throw new Error(`${method}: lr must be a finite number > 0, got ${lr}`);
  const init = options.init ?? defaultInit(data.d);
  if (init.length !== data.d || init.some((v) => !Number.isFinite(v))) {
    throw new Error(`${method}: init must be ${data.d} finite numbers (one per column of x), got ${JSON.stringify(init)}`);
  }
  const x = tf.tensor2d(data.x, [data.n, data.d]);
  const y = tf.tensor2d(data.y, [data.n, 1]);
  const a = tf.tidy(() => tf.variable(tf.tensor2d(init, [data.d, 1]), true));
  const history: LinearStep[] = [{ step: 0, epoch: 0, a: [...init], loss: lossAt(data, init) }];
  let diverged = !Number.isFinite(history[0]!.loss);
  try {
    let step = 0;
    outer: for (let e = 0; e < epochs.length && !diverged; e++) {
      for (const batch of epochs[e]!) {
        const full = batch.length === data.n;
        const idx = full ? null : tf.tensor1d(batch, 'int32');
        // The lesson's update(): y_hat = x@a; loss = mse(y_hat, y); loss.backward(); a -= lr * a.grad
        const batchLoss = tf.tidy(() => {
          const xb = idx ? tf.gather(x, idx) : x;
          const yb = idx ? tf.gather(y, idx) : y;
          const { value, grads } = tf.variableGrads(() => mse(tf.matMul(xb, a), yb), [a]);
          a.assign(tf.sub(a, tf.mul(tf.scalar(lr), grads[a.name]!)));
          return value;
        });
        idx?.dispose();
        const lossValue = (await batchLoss.data())[0]!;
        batchLoss.dispose();
        const aNow = Array.from(await a.data());
        step++;
        const rec: LinearStep = { step, epoch: e + 1, a: aNow, loss: lossAt(data, aNow) };
        if (method === 'sgd') {
          rec.batchLoss = lossValue;
          rec.batch = [...batch];
        }
        history.push(rec);
        if (options.onStep) await options.onStep(rec);
        if (!Number.isFinite(rec.loss) || aNow.some((v) => !Number.isFinite(v))) {
          diverged = true;
          break outer;
        }
      }
    }
  } finally {
    x.dispose();
    y.dispose();
    a.dispose();
  }
  const last = history[history.length - 1]!;
  return { method, lr, batchSize, history, a: last.a, loss: last.loss, diverged };
}

function defaultInit(d: number): number[] {
  // The lesson starts from a = (-1, 1); other sizes start from -1 for features and 1 for the intercept.
  return Array.from({ length: d }, (_, j) => (j === d - 1 ? 1 : -1));
}

function checkData(data: LinearData): void {
  if (!data || !(data.x instanceof Float32Array) || !(data.y instanceof Float32Array)) {
    throw new Error('expected LinearData from makeLinearData() (x and y as Float32Array)');
  }
  if (data.x.length !== data.n * data.d || data.y.length !== data.n) {
    throw new Error(`LinearData sizes do not match: n=${data.n}, d=${data.d}, x has ${data.x.length} values, y has ${data.y.length}`);
  }
}

export type LinearFitKind = 'converged' | 'not-converged' | 'lr-too-high' | 'lr-too-low';

export interface LinearFitDiagnosis {
  kind: LinearFitKind;
  message: string;
  advice: string;
  /** Share of the way from the initial loss to the least-squares loss that was covered (1 = all). */
  progress: number;
}

/**
 * Says what happened in a run, in the lesson's words: a learning rate that is too high makes the
 * loss blow up (each step jumps past the minimum and lands further away); one that is too low
 * heads the right way but takes forever (under `slowProgress` of the way to the best fit). A run
 * between that and `1 - tolerance` of the way is 'not-converged': it needs more steps.
 */
export function diagnoseLinearRun(run: LinearRun, data: LinearData, options: { tolerance?: number; slowProgress?: number } = {}): LinearFitDiagnosis {
  const tol = options.tolerance ?? 0.01;
  const slow = options.slowProgress ?? 0.5;
  const best = leastSquares(data);
  const first = run.history[0]!.loss;
  const last = run.loss;
  const span = first - best.loss;
  const progress = span > 0 ? (first - last) / span : 1;
  const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(4)) : String(v));
  const steps = run.history.length - 1;
  if (steps === 0) throw new Error('diagnoseLinearRun: the run has no steps to judge (steps: 0)');
  if (run.diverged || !Number.isFinite(last) || last > first) {
    return {
      kind: 'lr-too-high',
      progress: Number.isFinite(progress) ? progress : -Infinity,
      message:
        `Learning rate too high (lr=${run.lr}): the loss went from ${fmt(first)} to ${fmt(last)} in ${steps} steps instead of going down. ` +
        'Each step jumps right past the minimum to the other side, further away than where it started, so the loss gets bigger and bigger: it diverges.',
      advice: 'Use a smaller learning rate (try 10x smaller).',
    };
  }
  if (progress < slow) {
    return {
      kind: 'lr-too-low',
      progress,
      message:
        `Learning rate too low (lr=${run.lr}): the loss is going the right way but crawling: after ${steps} steps it went from ${fmt(first)} to ${fmt(last)}, ` +
        `only ${(progress * 100).toFixed(1)}% of the way to the best possible ${fmt(best.loss)}. At this pace it will take forever to get there.`,
      advice: 'Use a larger learning rate (try 10x larger), or train for many more steps.',
    };
  }
  if (progress < 1 - tol) {
    return {
      kind: 'not-converged',
      progress,
      message:
        `Not there yet (lr=${run.lr}): after ${steps} steps the loss went from ${fmt(first)} to ${fmt(last)}, ` +
        `${(progress * 100).toFixed(1)}% of the way to the best possible ${fmt(best.loss)}, and still going down.`,
      advice: 'Train for more steps (or epochs); the learning rate is working.',
    };
  }
  const aStr = run.a.map((v) => v.toFixed(3)).join(', ');
  return {
    kind: 'converged',
    progress,
    message: `Converged (lr=${run.lr}): after ${steps} steps a = (${aStr}), loss ${fmt(last)}, next to the best possible ${fmt(best.loss)} at a = (${best.a.map((v) => v.toFixed(3)).join(', ')}).`,
    advice: 'This learning rate works: nothing to change.',
  };
}
