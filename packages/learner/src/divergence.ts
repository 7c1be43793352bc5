/**
 * fastai's smoothed training loss (EMA 0.98, debiased), which its table prints, and the check that
 * stops a run whose loss explodes (not finite, or 4x the best smoothed loss after 10 steps).
 */
export class LossWatch {
  private smoothed = 0;
  private count = 0;
  /** Lowest smoothed loss so far. */
  best = Infinity;

  /** Adds a step's loss; returns the debiased smoothed loss. */
  add(loss: number): number {
    this.count++;
    this.smoothed = 0.98 * this.smoothed + 0.02 * loss;
    return this.smoothed / (1 - 0.98 ** this.count);
  }

  /** True when training has diverged at this step (call after add). */
  diverged(loss: number, debiased: number): boolean {
    return !Number.isFinite(loss) || (this.count > 10 && debiased > 4 * this.best);
  }

  /** Records the step as a candidate best (call when it did not diverge). */
  keep(debiased: number): void {
    this.best = Math.min(this.best, debiased);
  }
}
