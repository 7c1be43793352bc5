import { LearnerError } from './errors.js';

/**
 * fastai v1's default maximum learning rate, what the lesson's fit_one_cycle(4) used: defaults.lr = slice(3e-3),
 * so fitOneCycle(n) without a rate gives the head 3e-3 and the body groups a tenth of it (which only matters when
 * body parameters train: unfrozen, or trainBn). A plain number gives every group that rate (fastai v1 and v2 alike).
 */
export const DEFAULT_LR = 3e-3;

/** fastai's even_mults: n values geometrically spaced from lo to hi. */
export function evenMults(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [hi];
  const step = (hi / lo) ** (1 / (n - 1));
  return Array.from({ length: n }, (_, i) => lo * step ** i);
}

export function resolveLrs(lr: number | [number, number], groups: number): number[] {
  if (typeof lr === 'number') {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new LearnerError(`learning rate must be a positive number, got ${lr}`);
    return Array(groups).fill(lr);
  }
  if (!Array.isArray(lr) || lr.length !== 2 || !(lr[0] > 0) || !(lr[1] >= lr[0])) {
    throw new LearnerError(`learning rate range must be [lo, hi] with 0 < lo <= hi, got ${JSON.stringify(lr)}`);
  }
  return evenMults(lr[0], lr[1], groups);
}
