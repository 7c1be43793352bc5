import { annealExp } from './schedules.js';

/** One point on the LR-finder curve that a suggestion picked, so a plot can mark it. */
export interface LrSuggestion {
  /** The suggested learning rate. */
  lr: number;
  /** The (smoothed) loss at the marked point. */
  loss: number;
  /** Index of the marked point in the lrs/losses arrays given to suggestLrs. */
  index: number;
  /** Learning rate at the marked point (differs from `lr` for `minimum`, which suggests a tenth of it). */
  pointLr: number;
}

export interface LrSuggestions {
  /** Steepest descent of the smoothed loss (fastai v2's `steep`: argmin of the forward difference over log lr). */
  steep: LrSuggestion;
  /** A tenth of the learning rate with the lowest loss (fastai: "Min loss divided by 10"). */
  minimum: LrSuggestion;
  /** fastai v2's valley: halfway along the longest decreasing stretch of the curve. */
  valley: LrSuggestion;
}

export interface LrFinderLrsOptions {
  startLr?: number;
  endLr?: number;
  numIt?: number;
}

/**
 * The LR range test's learning rates: iteration i trains at startLr * (endLr/startLr) ** (i/numIt),
 * i = 0..numIt-1, exactly as fastai's LRFinder (annealing_exp, stepped after each batch).
 */
export function lrFinderLrs(options: LrFinderLrsOptions = {}): number[] {
  const { startLr = 1e-7, endLr = 10, numIt = 100 } = options;
  if (!(startLr > 0 && Number.isFinite(startLr))) throw new Error(`lrFinderLrs: startLr must be > 0, got ${startLr}`);
  if (!(endLr > startLr && Number.isFinite(endLr))) throw new Error(`lrFinderLrs: endLr must be finite and > startLr (${startLr}), got ${endLr}`);
  if (!Number.isInteger(numIt) || numIt < 2) throw new Error(`lrFinderLrs: numIt must be an integer >= 2, got ${numIt}`);
  return Array.from({ length: numIt }, (_, i) => annealExp(startLr, endLr, i / numIt));
}

/** fastai's SmoothenValue: an exponential moving average with bias correction. */
export class LossSmoother {
  readonly beta: number;
  private n = 0;
  private mov = 0;
  /** The last smoothed value (NaN before the first add). */
  value = Number.NaN;

  constructor(beta = 0.98) {
    if (!(beta >= 0 && beta < 1)) throw new Error(`LossSmoother: beta must be in [0, 1), got ${beta}`);
    this.beta = beta;
  }

  /** Adds a raw loss and returns the smoothed one: mov = beta*mov + (1-beta)*loss; mov / (1 - beta^n). */
  add(loss: number): number {
    this.n += 1;
    this.mov = this.beta * this.mov + (1 - this.beta) * loss;
    this.value = this.mov / (1 - this.beta ** this.n);
    return this.value;
  }

  get count(): number {
    return this.n;
  }

  reset(): void {
    this.n = 0;
    this.mov = 0;
    this.value = Number.NaN;
  }
}

/**
 * fastai v2's stop rule: the smoothed loss is above `factor` (4) times the best smoothed loss so far.
 * A NaN loss does not stop the sweep (NaN > x is false in v2's comparison too); suggestions cut the
 * curve at the first NaN instead. fastai v1 stopped at NaN; Bears follows v2.
 */
export function shouldStopLrFind(smoothed: number, best: number, factor = 4): boolean {
  return smoothed > factor * best;
}

export interface SuggestOptions {
  /** Points dropped at the start (fastai v2: num_it // 10, so 10 for the default 100 iterations). */
  skipStart?: number;
  /** Points dropped at the end (fastai: 5). */
  skipEnd?: number;
}

/**
 * Learning-rate suggestions from an LR-finder curve (lrs and their smoothed losses), computed on
 * the points fastai keeps: skipStart..len-skipEnd, cut at the first NaN. If that leaves fewer than
 * 3 points, the whole finite prefix is used. Indices refer to the arrays passed in.
 */
export function suggestLrs(lrs: readonly number[], losses: readonly number[], options: SuggestOptions = {}): LrSuggestions {
  const { skipStart = 10, skipEnd = 5 } = options;
  if (!Array.isArray(lrs) || !Array.isArray(losses) || lrs.length !== losses.length) {
    throw new Error(`suggestLrs: lrs and losses must be arrays of the same length, got ${lrs?.length} and ${losses?.length}`);
  }
  if (lrs.some((v) => !(v > 0))) throw new Error('suggestLrs: every lr must be > 0');
  // fastai v2 drops everything from the first NaN on; an infinite loss is as unusable.
  let finite = losses.findIndex((v) => !Number.isFinite(v));
  if (finite < 0) finite = losses.length;
  let lo = Math.min(skipStart, finite);
  let hi = Math.min(losses.length - skipEnd, finite);
  if (hi - lo < 3) {
    lo = 0;
    hi = finite;
  }
  if (hi - lo < 2) throw new Error(`suggestLrs: need at least 2 finite losses to suggest a learning rate, got ${hi - lo}`);
  const L = losses.slice(lo, hi) as number[];
  const R = lrs.slice(lo, hi) as number[];
  const point = (i: number, lr = R[i]!): LrSuggestion => ({ lr, loss: L[i]!, index: lo + i, pointLr: R[i]! });

  // fastai v2 steep: (losses[1:] - losses[:-1]) / (log lrs[1:] - log lrs[:-1]), lr at the argmin.
  const steepIdx = argmin(forwardSlopes(R, L));

  const minIdx = argmin(L);

  // fastai v2 valley: longest run of decreasing losses (an O(n^2) longest decreasing subsequence).
  const n = L.length;
  const lds = new Array<number>(n).fill(1);
  let maxStart = 0;
  let maxEnd = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (L[i]! < L[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
      if (lds[maxEnd]! < lds[i]!) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd]!;
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  const valleyIdx = Math.min(n - 1, Math.max(0, maxStart + Math.trunc(sections) + Math.trunc(sections / 2)));

  return {
    steep: point(steepIdx),
    minimum: point(minIdx, R[minIdx]! / 10),
    valley: point(valleyIdx),
  };
}

/** Forward differences of the losses over log lr (fastai v2's `steep`): n - 1 slopes. */
export function forwardSlopes(lrs: readonly number[], losses: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < losses.length; i++) out.push((losses[i + 1]! - losses[i]!) / (Math.log(lrs[i + 1]!) - Math.log(lrs[i]!)));
  return out;
}

/** numpy.gradient with unit spacing: central differences inside, one-sided at the ends. */
export function numpyGradient(y: readonly number[]): number[] {
  const n = y.length;
  if (n < 2) throw new Error('numpyGradient: need at least 2 values');
  return y.map((_, i) => (i === 0 ? y[1]! - y[0]! : i === n - 1 ? y[n - 1]! - y[n - 2]! : (y[i + 1]! - y[i - 1]!) / 2));
}

function argmin(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! < v[best]!) best = i;
  return best;
}

export interface LrFindOptions extends LrFinderLrsOptions, SuggestOptions {
  /** EMA smoothing of the loss. */
  beta?: number;
  /** Stop once the smoothed loss exceeds divFactor x its minimum, or is NaN (fastai's stop_div). */
  stopDiv?: boolean;
  divFactor?: number;
  /** Called after each iteration, e.g. for a progress bar. */
  onIteration?: (info: { iteration: number; lr: number; loss: number; smoothed: number }) => void | Promise<void>;
}

export interface LrFindResult {
  /** Learning rates that were tried, in order. */
  lrs: number[];
  /** Smoothed losses, what fastai records and plots. */
  losses: number[];
  /** Raw losses the step callback returned. */
  rawLosses: number[];
  /**
   * Why the sweep ended: 'completed' (numIt iterations), 'diverged' (smoothed loss above divFactor x its best),
   * or 'nan' (a loss was NaN; the sweep went on as in fastai v2 and the suggestions stop at the first NaN).
   */
  stopReason: 'completed' | 'diverged' | 'nan';
  /** Suggestions, or null when too few points were recorded to make any. */
  suggestions: LrSuggestions | null;
}

/**
 * The LR range test driver. `step(lr, iteration)` must train one batch at `lr` and return its loss;
 * saving and restoring the weights around the sweep is the caller's job (fastai does the same with
 * learn.save('tmp')).
 */
export async function lrFind(step: (lr: number, iteration: number) => Promise<number> | number, options: LrFindOptions = {}): Promise<LrFindResult> {
  if (typeof step !== 'function') throw new Error('lrFind: step must be a function (lr) => loss that trains one batch');
  const { beta = 0.98, stopDiv = true, divFactor = 4, skipEnd, onIteration } = options;
  const schedule = lrFinderLrs(options);
  const skipStart = options.skipStart ?? Math.floor(schedule.length / 10);
  const smoother = new LossSmoother(beta);
  const lrs: number[] = [];
  const losses: number[] = [];
  const rawLosses: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  let stopReason: LrFindResult['stopReason'] = 'completed';
  let sawNan = false;
  for (let i = 0; i < schedule.length; i++) {
    const lr = schedule[i]!;
    const raw = Number(await step(lr, i));
    const smoothed = smoother.add(raw);
    if (smoothed < best) best = smoothed;
    if (Number.isNaN(smoothed)) sawNan = true;
    lrs.push(lr);
    losses.push(smoothed);
    rawLosses.push(raw);
    if (onIteration) await onIteration({ iteration: i, lr, loss: raw, smoothed });
    if (stopDiv && shouldStopLrFind(smoothed, best, divFactor)) {
      stopReason = 'diverged';
      break;
    }
  }
  if (sawNan) stopReason = 'nan';
  let suggestions: LrSuggestions | null = null;
  try {
    suggestions = suggestLrs(lrs, losses, { skipStart, skipEnd });
  } catch {
    suggestions = null;
  }
  return { lrs, losses, rawLosses, stopReason, suggestions };
}
