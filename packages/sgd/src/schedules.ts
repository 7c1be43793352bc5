/** Hyper-parameters for one training step: a learning rate per parameter group and the momentum (beta1). */
export interface StepHyper {
  lr: number[];
  mom: number;
}

/** A schedule maps the number of batches already trained (0 for the first) to that batch's hyper-parameters. */
export type Schedule = (step: number) => StepHyper;

/** fastai's annealing_cos: cosine from start (pct 0) to end (pct 1). */
export function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** fastai's annealing_linear. */
export function annealLinear(start: number, end: number, pct: number): number {
  return start + pct * (end - start);
}

/** fastai's annealing_exp: geometric from start to end (the LR finder's sweep). */
export function annealExp(start: number, end: number, pct: number): number {
  return start * (end / start) ** pct;
}

export interface OneCycleOptions {
  /** Batches in the whole fit (batches per epoch x epochs). */
  totalSteps: number;
  /** Peak learning rate: one number, or one per parameter group (discriminative learning rates). */
  maxLr: number | number[];
  /** Share of the steps spent warming up. */
  pctStart?: number;
  /** The warm-up starts at maxLr / divFactor. */
  divFactor?: number;
  /** The anneal ends at maxLr / (divFactor * finalDivFactor): fastai v1's final_div = div_factor * 1e4. */
  finalDivFactor?: number;
  /** Momentum at the start, at the peak learning rate, and at the end. */
  moms?: [number, number, number] | [number, number];
}

/**
 * One-cycle exactly as fastai v1's OneCycleScheduler: n = totalSteps, a1 = floor(n * pctStart),
 * a2 = n - a1. Phase 1 anneals (cosine) lr from maxLr/divFactor to maxLr and momentum from
 * moms[0] to moms[1] over a1 steps; phase 2 anneals lr to maxLr/(divFactor*finalDivFactor) and
 * momentum back to moms[2] over a2 steps. The first batch uses the start values; after batch i
 * fastai steps the scheduler, so batch s (s >= 1) uses phase 1 at pct s/a1 for s <= a1 and phase 2
 * at pct (s-a1)/a2 after that. Steps past the end keep the final values.
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const { totalSteps, maxLr, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4, moms = [0.95, 0.85, 0.95] } = options ?? ({} as OneCycleOptions);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`oneCycle: totalSteps must be an integer >= 1, got ${totalSteps}`);
  const maxLrs = checkLrs('oneCycle', 'maxLr', maxLr);
  if (!(pctStart >= 0 && pctStart <= 1)) throw new Error(`oneCycle: pctStart must be in [0, 1], got ${pctStart}`);
  if (!(divFactor > 0 && Number.isFinite(divFactor))) throw new Error(`oneCycle: divFactor must be > 0, got ${divFactor}`);
  if (!(finalDivFactor > 0 && Number.isFinite(finalDivFactor))) throw new Error(`oneCycle: finalDivFactor must be > 0, got ${finalDivFactor}`);
  if (!Array.isArray(moms) || (moms.length !== 2 && moms.length !== 3) || moms.some((m) => !(m >= 0 && m < 1))) {
    throw new Error(`oneCycle: moms must be [start, middle] or [start, middle, end] in [0, 1), got ${JSON.stringify(moms)}`);
  }
  // fastai v1 takes moms=(0.95, 0.85) and returns to the first; a third value makes the end explicit.
  const [m0, m1, m2 = moms[0]] = moms;
  const a1 = Math.floor(totalSteps * pctStart);
  const a2 = totalSteps - a1;
  // fastai's Scheduler uses n_iter = max(1, n_iter).
  const n1 = Math.max(1, a1);
  const n2 = Math.max(1, a2);
  const phase = (step: number): [0 | 1, number] => {
    if (step <= n1) return [0, step / n1];
    return [1, Math.min(1, (step - n1) / n2)];
  };
  return (step: number) => {
    checkStep('oneCycle', step);
    const [ph, pct] = phase(step);
    const lr = maxLrs.map((mx) => {
      const low = mx / divFactor;
      return ph === 0 ? annealCos(low, mx, pct) : annealCos(mx, mx / (divFactor * finalDivFactor), pct);
    });
    const mom = ph === 0 ? annealCos(m0, m1, pct) : annealCos(m1, m2, pct);
    return { lr, mom };
  };
}

/** The same learning rate(s) and momentum at every step. */
export function constantSchedule(options: { lr: number | number[]; mom?: number }): Schedule {
  const lrs = checkLrs('constantSchedule', 'lr', options?.lr);
  const mom = options.mom ?? 0.9;
  checkMom('constantSchedule', mom);
  return (step) => {
    checkStep('constantSchedule', step);
    return { lr: [...lrs], mom };
  };
}

/**
 * Cosine annealing from `lr` to `endLr` (default 0) over totalSteps (fastai's SchedCos with
 * pct = step / totalSteps), after an optional linear warm-up from 0 over warmupSteps. Constant momentum.
 */
export function cosineSchedule(options: { totalSteps: number; lr: number | number[]; endLr?: number | number[]; warmupSteps?: number; mom?: number }): Schedule {
  const { totalSteps, warmupSteps = 0, mom = 0.9 } = options ?? ({} as never);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`cosineSchedule: totalSteps must be an integer >= 1, got ${totalSteps}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps >= totalSteps) {
    throw new Error(`cosineSchedule: warmupSteps must be an integer in [0, totalSteps), got ${warmupSteps}`);
  }
  const lrs = checkLrs('cosineSchedule', 'lr', options.lr);
  const ends = options.endLr === undefined ? lrs.map(() => 0) : checkLrs('cosineSchedule', 'endLr', options.endLr, true);
  if (ends.length !== lrs.length && ends.length !== 1) throw new Error(`cosineSchedule: endLr has ${ends.length} values, lr has ${lrs.length}`);
  checkMom('cosineSchedule', mom);
  return (step) => {
    checkStep('cosineSchedule', step);
    const lr = lrs.map((start, i) => {
      const end = ends.length === 1 ? ends[0]! : ends[i]!;
      if (step < warmupSteps) return annealLinear(0, start, step / warmupSteps);
      return annealCos(start, end, Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps)));
    });
    return { lr, mom };
  };
}

/**
 * fastai v1's lr_range: discriminative learning rates for `nGroups` parameter groups. A number is
 * used for every group; { start, stop } spreads geometrically from start (first group) to stop
 * (last, the head); { stop } alone gives stop/10 to every group but the last (`slice(None, lr)`).
 */
export function lrRange(lr: number | { start?: number; stop: number }, nGroups: number): number[] {
  if (!Number.isInteger(nGroups) || nGroups < 1) throw new Error(`lrRange: nGroups must be an integer >= 1, got ${nGroups}`);
  if (typeof lr === 'number') return checkLrs('lrRange', 'lr', lr).flatMap((v) => Array(nGroups).fill(v) as number[]);
  const stop = checkLrs('lrRange', 'stop', lr?.stop)[0]!;
  if (lr.start === undefined) return Array.from({ length: nGroups }, (_, i) => (i === nGroups - 1 ? stop : stop / 10));
  const start = checkLrs('lrRange', 'start', lr.start)[0]!;
  if (nGroups === 1) return [stop];
  // even_mults: start * (stop/start) ** (i / (n-1))
  const step = (stop / start) ** (1 / (nGroups - 1));
  return Array.from({ length: nGroups }, (_, i) => start * step ** i);
}

function checkLrs(who: string, what: string, v: unknown, allowZero = false): number[] {
  const arr = Array.isArray(v) ? v : [v];
  if (arr.length === 0 || arr.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || (!allowZero && x === 0))) {
    throw new Error(`${who}: ${what} must be a number ${allowZero ? '>= 0' : '> 0'} or a non-empty array of them, got ${JSON.stringify(v)}`);
  }
  return arr as number[];
}

function checkMom(who: string, mom: number): void {
  if (!(typeof mom === 'number' && mom >= 0 && mom < 1)) throw new Error(`${who}: mom must be in [0, 1), got ${mom}`);
}

function checkStep(who: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new Error(`${who}: step must be an integer >= 0 (batches already trained), got ${step}`);
}
