/**
 * fastai's smoothed training loss (EMA 0.98, debiased), which its table prints, and the check that
 * stops a run whose loss explodes: not finite, or, after 10 warm-up steps, 4x the best smoothed loss
 * AND above where the phase started. The best only counts after the warm-up, and a run is never
 * called diverged below its starting loss: a fine-tuned model's smoothed loss can dip to 0.002 on a
 * few easy batches, and 0.01 a little later is noise, not an explosion.
 */
export class LossWatch {
  private static readonly WARMUP = 10;
  private smoothed = 0;
  private count = 0;
  /** Lowest smoothed loss after the warm-up. */
  best = Infinity;
  /** Highest smoothed loss of the warm-up: where the phase started. */
  start = 0;

  /** Adds a step's loss; returns the debiased smoothed loss. */
  add(loss: number): number {
    this.count++;
    this.smoothed = 0.98 * this.smoothed + 0.02 * loss;
    const debiased = this.smoothed / (1 - 0.98 ** this.count);
    if (this.count <= LossWatch.WARMUP && Number.isFinite(debiased)) this.start = Math.max(this.start, debiased);
    return debiased;
  }

  /** True when training has diverged at this step (call after add). */
  diverged(loss: number, debiased: number): boolean {
    if (!Number.isFinite(loss)) return true;
    return this.count > LossWatch.WARMUP && debiased > 4 * this.best && debiased > this.start;
  }

  /** Records the step as a candidate best (call when it did not diverge). */
  keep(debiased: number): void {
    if (this.count > LossWatch.WARMUP) this.best = Math.min(this.best, debiased);
  }
}
