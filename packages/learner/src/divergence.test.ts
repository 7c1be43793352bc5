import { describe, expect, it } from 'vitest';
import { LossWatch } from './divergence.js';

function run(losses: number[]): number | undefined {
  const w = new LossWatch();
  for (let i = 0; i < losses.length; i++) {
    const d = w.add(losses[i]!);
    if (w.diverged(losses[i]!, d)) return i;
    w.keep(d);
  }
  return undefined;
}

describe('LossWatch', () => {
  it('stops a loss that explodes above where it started', () => {
    const losses = [...Array.from({ length: 20 }, () => 1), ...Array.from({ length: 200 }, (_, i) => 1 + i)];
    expect(run(losses)).toBeGreaterThan(20);
  });

  it('stops at once on a non-finite loss', () => {
    expect(run([0.5, 0.4, Number.NaN])).toBe(2);
  });

  it('does not call a fine-tuned run diverged when a tiny loss grows a little (still below its start)', () => {
    // A second unfrozen epoch: losses around 0.01 with a few near-zero batches first.
    const losses = [0.03, 0.001, 0.0005, 0.0004, 0.0003, 0.0002, 0.0002, 0.0001, 0.0001, 0.0001, ...Array.from({ length: 40 }, () => 0.0001), ...Array.from({ length: 40 }, () => 0.012)];
    expect(run(losses)).toBeUndefined();
  });
});
