import { describe, expect, it } from 'vitest';
import { annealCos, annealExp, constantSchedule, cosineSchedule, lrRange, oneCycle } from './schedules.js';

// fastai v1's formulas, written out independently of the implementation:
//   annealing_cos(start, end, pct) = end + (start - end)/2 * (cos(pi * pct) + 1)
//   OneCycleScheduler: a1 = int(n * pct_start), a2 = n - a1, low_lr = lr_max / div_factor,
//   phase 1: (low_lr -> lr_max), (0.95 -> 0.85) over a1; phase 2: (lr_max -> lr_max / (div_factor * 1e4)), (0.85 -> 0.95) over a2.
//   The first batch uses phase 1's start; after batch i the scheduler steps, so batch s uses step s of the phases.
const cosFormula = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);

describe('oneCycle (fastai v1)', () => {
  const maxLr = 3e-3;
  const n = 100; // a1 = 30, a2 = 70
  const sched = oneCycle({ totalSteps: n, maxLr });

  it('starts at max_lr/25 with momentum 0.95', () => {
    const s = sched(0);
    expect(s.lr[0]).toBeCloseTo(maxLr / 25, 12);
    expect(s.mom).toBeCloseTo(0.95, 12);
  });

  it('warms up by cosine over 30% of the steps, peaking at max_lr with momentum 0.85', () => {
    const s15 = sched(15);
    expect(s15.lr[0]).toBeCloseTo(cosFormula(maxLr / 25, maxLr, 15 / 30), 12);
    // halfway through warm-up the cosine sits exactly midway
    expect(s15.lr[0]).toBeCloseTo((maxLr / 25 + maxLr) / 2, 12);
    expect(s15.mom).toBeCloseTo(0.9, 12);
    const s30 = sched(30);
    expect(s30.lr[0]).toBeCloseTo(maxLr, 12);
    expect(s30.mom).toBeCloseTo(0.85, 12);
  });

  it('anneals by cosine to max_lr/(25*1e4) with momentum back to 0.95', () => {
    const s31 = sched(31);
    expect(s31.lr[0]).toBeCloseTo(cosFormula(maxLr, maxLr / 25e4, 1 / 70), 12);
    const s65 = sched(65);
    expect(s65.lr[0]).toBeCloseTo((maxLr + maxLr / 25e4) / 2, 12);
    expect(s65.mom).toBeCloseTo(0.9, 12);
    const s99 = sched(99);
    expect(s99.lr[0]).toBeCloseTo(cosFormula(maxLr, maxLr / 25e4, 69 / 70), 15);
    expect(s99.mom).toBeCloseTo(cosFormula(0.85, 0.95, 69 / 70), 12);
    // past the end it holds the final values
    expect(sched(100).lr[0]).toBeCloseTo(maxLr / 25e4, 15);
    expect(sched(500).mom).toBeCloseTo(0.95, 12);
  });

  it('is monotone up then down, momentum the mirror image', () => {
    const lrs = Array.from({ length: n }, (_, i) => sched(i).lr[0]!);
    const moms = Array.from({ length: n }, (_, i) => sched(i).mom);
    for (let i = 1; i <= 30; i++) {
      expect(lrs[i]).toBeGreaterThan(lrs[i - 1]!);
      expect(moms[i]).toBeLessThan(moms[i - 1]!);
    }
    for (let i = 31; i < n; i++) {
      expect(lrs[i]).toBeLessThan(lrs[i - 1]!);
      expect(moms[i]).toBeGreaterThan(moms[i - 1]!);
    }
  });

  it('takes one max_lr per parameter group, and custom pctStart/divFactor/moms', () => {
    const s = oneCycle({ totalSteps: 10, maxLr: [1e-4, 1e-3, 1e-2], pctStart: 0.25, divFactor: 10, finalDivFactor: 100, moms: [0.9, 0.8, 0.7] });
    // a1 = int(10 * 0.25) = 2, a2 = 8
    expect(s(0).lr).toEqual([1e-5, 1e-4, 1e-3].map((v) => expect.closeTo(v, 15)));
    expect(s(1).lr[2]).toBeCloseTo(cosFormula(1e-3, 1e-2, 1 / 2), 15);
    expect(s(2).lr).toEqual([1e-4, 1e-3, 1e-2].map((v) => expect.closeTo(v, 15)));
    expect(s(6).lr[1]).toBeCloseTo(cosFormula(1e-3, 1e-3 / 1000, 4 / 8), 15);
    expect(s(6).mom).toBeCloseTo(cosFormula(0.8, 0.7, 4 / 8), 12);
    expect(s(10).lr[0]).toBeCloseTo(1e-4 / 1000, 15);
  });

  it('handles fits shorter than the warm-up (fastai: n_iter = max(1, n))', () => {
    const s = oneCycle({ totalSteps: 1, maxLr: 1 });
    expect(s(0).lr[0]).toBeCloseTo(1 / 25, 12);
    expect(s(1).lr[0]).toBeCloseTo(1, 12);
  });

  it('rejects bad options and steps', () => {
    expect(() => oneCycle({ totalSteps: 0, maxLr: 1 })).toThrow(/totalSteps must be an integer >= 1, got 0/);
    expect(() => oneCycle({ totalSteps: 10, maxLr: -1 })).toThrow(/maxLr must be a number > 0/);
    expect(() => oneCycle({ totalSteps: 10, maxLr: 1, pctStart: 2 })).toThrow(/pctStart must be in \[0, 1\], got 2/);
    expect(() => sched(-1)).toThrow(/step must be an integer >= 0/);
    expect(() => sched(1.5)).toThrow(/got 1.5/);
  });
});

describe('constant and cosine schedules', () => {
  it('constant keeps lr and momentum', () => {
    const s = constantSchedule({ lr: [1e-3, 1e-2], mom: 0.9 });
    expect(s(0)).toEqual({ lr: [1e-3, 1e-2], mom: 0.9 });
    expect(s(1234)).toEqual({ lr: [1e-3, 1e-2], mom: 0.9 });
  });

  it('cosine anneals from lr to endLr (fastai SchedCos), with optional linear warm-up', () => {
    const s = cosineSchedule({ totalSteps: 100, lr: 0.1, endLr: 0.001 });
    expect(s(0).lr[0]).toBeCloseTo(0.1, 12);
    expect(s(25).lr[0]).toBeCloseTo(cosFormula(0.1, 0.001, 0.25), 12);
    expect(s(50).lr[0]).toBeCloseTo(0.0505, 12);
    expect(s(100).lr[0]).toBeCloseTo(0.001, 12);
    const w = cosineSchedule({ totalSteps: 110, lr: 1, warmupSteps: 10 });
    expect(w(5).lr[0]).toBeCloseTo(0.5, 12);
    expect(w(10).lr[0]).toBeCloseTo(1, 12);
    expect(w(60).lr[0]).toBeCloseTo(0.5, 12);
    expect(() => cosineSchedule({ totalSteps: 10, lr: 1, warmupSteps: 10 })).toThrow(/warmupSteps must be an integer in \[0, totalSteps\)/);
  });

  it('annealing helpers match their formulas', () => {
    expect(annealCos(1, 0, 0)).toBe(1);
    expect(annealCos(1, 0, 1)).toBeCloseTo(0, 15);
    expect(annealExp(1e-7, 10, 0.5)).toBeCloseTo(Math.sqrt(1e-7 * 10), 15);
  });
});

describe('lrRange (discriminative learning rates)', () => {
  it("spreads slice(start, stop) geometrically like fastai's even_mults", () => {
    const r = lrRange({ start: 1e-6, stop: 1e-4 }, 3);
    expect(r[0]).toBeCloseTo(1e-6, 15);
    expect(r[1]).toBeCloseTo(1e-5, 15);
    expect(r[2]).toBeCloseTo(1e-4, 15);
  });

  it('slice(None, stop) gives stop/10 to all groups but the last; a number goes to every group', () => {
    expect(lrRange({ stop: 1e-3 }, 3)).toEqual([1e-4, 1e-4, 1e-3]);
    expect(lrRange(3e-3, 2)).toEqual([3e-3, 3e-3]);
    expect(() => lrRange(1, 0)).toThrow(/nGroups must be an integer >= 1, got 0/);
  });
});
