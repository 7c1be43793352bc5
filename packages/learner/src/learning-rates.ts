import { LearnerError } from './errors.js';

/** fastai v1's default maximum learning rate (defaults.lr = 3e-3), what the lesson's fit_one_cycle(4) used. */
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
