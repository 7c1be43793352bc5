import * as tf from '@tensorflow/tfjs-core';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { diagnoseLinearRun, gradientDescent, makeLinearData } from './from-scratch.js';
import { forwardSlopes, LossSmoother, lrFind, lrFinderLrs, numpyGradient, shouldStopLrFind, suggestLrs } from './lr-find.js';
import { SGD } from './optimizers.js';

describe('lrFinderLrs', () => {
  it('sweeps exponentially from 1e-7 towards 10 over 100 iterations (fastai: start * (end/start)^(i/num_it))', () => {
    const lrs = lrFinderLrs();
    expect(lrs).toHaveLength(100);
    expect(lrs[0]).toBeCloseTo(1e-7, 20);
    expect(lrs[50]).toBeCloseTo(1e-7 * 1e8 ** 0.5, 10);
    expect(lrs[99]).toBeCloseTo(10 ** (-7 + 8 * 0.99), 8);
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]! / lrs[i - 1]!).toBeCloseTo(1e8 ** 0.01, 10);
  });

  it('validates its options', () => {
    expect(() => lrFinderLrs({ startLr: 0 })).toThrow(/startLr must be > 0, got 0/);
    expect(() => lrFinderLrs({ startLr: 1, endLr: 0.1 })).toThrow(/endLr must be finite and > startLr/);
    expect(() => lrFinderLrs({ numIt: 1 })).toThrow(/numIt must be an integer >= 2, got 1/);
  });
});

describe('LossSmoother and the stop rule', () => {
  it('is an EMA with bias correction (beta 0.98)', () => {
    const s = new LossSmoother();
    expect(s.add(1)).toBeCloseTo(1, 12); // 0.02 * 1 / (1 - 0.98)
    expect(s.add(2)).toBeCloseTo((0.98 * 0.02 + 0.02 * 2) / (1 - 0.98 ** 2), 12);
    const avg3 = 0.98 * (0.98 * 0.02 + 0.02 * 2) + 0.02 * 4;
    expect(s.add(4)).toBeCloseTo(avg3 / (1 - 0.98 ** 3), 12);
    expect(s.count).toBe(3);
    s.reset();
    expect(s.add(7)).toBeCloseTo(7, 12);
    expect(() => new LossSmoother(1)).toThrow(/beta must be in \[0, 1\), got 1/);
  });

  it('stops when the smoothed loss is above 4x the best, and not at NaN (fastai v2)', () => {
    expect(shouldStopLrFind(4.01, 1)).toBe(true);
    expect(shouldStopLrFind(4, 1)).toBe(false);
    expect(shouldStopLrFind(Number.NaN, 1)).toBe(false);
    expect(shouldStopLrFind(2.5, 1, 2)).toBe(true);
  });
});

describe('suggestLrs', () => {
  const losses = [5, 5, 4.9, 4.5, 3.0, 2.0, 1.8, 1.7, 1.6, 1.65, 3, 9];
  const lrs = losses.map((_, i) => 10 ** (i - 8));

  it('numpyGradient is np.gradient with unit spacing', () => {
    expect(numpyGradient([1, 2, 4, 7])).toEqual([1, 1.5, 2.5, 3]);
  });

  it('forwardSlopes is the forward difference over log lr', () => {
    const f = forwardSlopes([1, Math.E, Math.E ** 3], [4, 2, 1]);
    expect(f[0]).toBeCloseTo(-2, 12);
    expect(f[1]).toBeCloseTo(-0.5, 12);
    expect(f).toHaveLength(2);
  });

  it('finds steep (fastai v2 forward difference over log lr), minimum/10 and valley (fastai v2), with their points', () => {
    const s = suggestLrs(lrs, losses, { skipStart: 0, skipEnd: 0 });
    // forward differences [0, -0.1, -0.4, -1.5, -1.0, ...] / ln 10 -> the steepest step starts at index 3
    // (fastai v1's np.gradient, a central difference, picked index 4)
    expect(s.steep).toEqual({ lr: lrs[3], loss: 4.5, index: 3, pointLr: lrs[3] });
    expect(s.minimum).toEqual({ lr: lrs[8]! / 10, loss: 1.6, index: 8, pointLr: lrs[8] });
    // longest decreasing run has length 8 ending at index 8; fastai: max_start = 8 - 8 = 0,
    // sections = 8/3, idx = 0 + int(2.67) + int(1.33) = 3
    expect(s.valley).toEqual({ lr: lrs[3], loss: 4.5, index: 3, pointLr: lrs[3] });
  });

  it('skips the first 10 and last 5 points by default and reports indices in the full arrays', () => {
    const n = 100;
    const all = lrFinderLrs();
    // a bowl in log(lr) with its steepest fall early on and a cliff at the end
    const ls = all.map((lr, i) => (i < 5 ? 0.1 : i >= n - 5 ? 100 : 2 + Math.tanh(-(Math.log10(lr) + 3)) + 0.5 * Math.max(0, Math.log10(lr) + 1) ** 2));
    const s = suggestLrs(all, ls);
    for (const k of ['steep', 'minimum', 'valley'] as const) {
      expect(s[k].index).toBeGreaterThanOrEqual(10);
      expect(s[k].index).toBeLessThan(95);
      expect(s[k].loss).toBe(ls[s[k].index]);
    }
    expect(s.steep.pointLr).toBeCloseTo(1e-3, 3);
  });

  it('drops everything from the first NaN on', () => {
    const ls = [...losses.slice(0, 9), Number.NaN, 0.1, 0.05];
    const s = suggestLrs(lrs, ls, { skipStart: 0, skipEnd: 0 });
    expect(s.minimum.index).toBe(8);
    expect(s.steep.index).toBeLessThan(9);
  });

  it('rejects mismatched or too short inputs', () => {
    expect(() => suggestLrs([1, 2], [1])).toThrow(/same length, got 2 and 1/);
    expect(() => suggestLrs([1], [1])).toThrow(/at least 2 finite losses/);
    expect(() => suggestLrs([0, 1], [1, 2])).toThrow(/every lr must be > 0/);
  });
});

describe('lrFind driver', () => {
  it('runs the sweep, smooths, stops when the loss blows up, and suggests', async () => {
    // gradient descent on f(w) = w^2 from w = 1: fine until lr > 1, where each step overshoots.
    let w = 1;
    const seen: number[] = [];
    const res = await lrFind((lr) => {
      seen.push(lr);
      w -= lr * 2 * w;
      return w * w + 0.01;
    });
    expect(res.stopReason).toBe('diverged');
    expect(res.lrs.length).toBeLessThan(100);
    expect(res.lrs).toEqual(seen);
    expect(res.lrs[res.lrs.length - 1]).toBeGreaterThan(1);
    expect(res.losses[res.losses.length - 1]).toBeGreaterThan(4 * Math.min(...res.losses));
    const s = res.suggestions!;
    expect(s.valley.lr).toBeGreaterThan(1e-3);
    expect(s.valley.lr).toBeLessThan(1);
    expect(s.minimum.lr).toBeLessThan(1);
  });

  it("keeps going through NaN as fastai v2 does, reports 'nan', and suggests from the points before it", async () => {
    let i = 0;
    const nan = await lrFind(() => (i++ < 40 ? 2 - i / 40 : Number.NaN));
    expect(nan.stopReason).toBe('nan');
    expect(nan.lrs).toHaveLength(100);
    expect(Number.isNaN(nan.losses[40]!)).toBe(true);
    const s = nan.suggestions!;
    for (const k of ['steep', 'minimum', 'valley'] as const) {
      expect(s[k].index).toBeGreaterThanOrEqual(10); // num_it // 10 skipped at the start
      expect(s[k].index).toBeLessThan(40);
      expect(Number.isFinite(s[k].loss)).toBe(true);
    }
    expect(s.minimum.index).toBe(39);
    // skipStart defaults to numIt // 10: with 50 iterations the steep fall over the first 5 points is skipped
    let j = 0;
    const short = await lrFind(() => (j < 5 ? 100 - 10 * j++ : 1 + 1 / j++), { numIt: 50, beta: 0 });
    expect(short.suggestions!.steep.index).toBe(5);
    const flat = await lrFind(() => 1, { numIt: 30 });
    expect(flat.stopReason).toBe('completed');
    expect(flat.losses).toHaveLength(30);
    await expect(lrFind(null as never)).rejects.toThrow(/step must be a function/);
  });

  describe('on the from-scratch problem with a real optimizer', () => {
    beforeAll(async () => {
      await useBackend('wasm', { env: null });
    });

    it('suggests a learning rate that trains well, and leaks no tensors', async () => {
      const data = makeLinearData();
      const x = tf.tensor2d(data.x, [data.n, data.d]);
      const y = tf.tensor2d(data.y, [data.n, 1]);
      const a = tf.tidy(() => tf.variable(tf.tensor2d([-1, 1], [2, 1])));
      const opt = new SGD([a], { lr: 1e-7, momentum: 0 });
      const before = tf.memory().numTensors;
      const res = await lrFind(async (lr) => {
        opt.setLr(lr);
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.matMul(x, a), y))), [a]);
        opt.applyGradients(grads);
        const loss = (await value.data())[0]!;
        tf.dispose([value, ...Object.values(grads)]);
        return loss;
      });
      expect(tf.memory().numTensors).toBe(before);
      // the loss only blows up in the last few iterations here, too late for the lagging EMA to stop the sweep
      expect(res.rawLosses[res.rawLosses.length - 1]).toBeGreaterThan(100);
      // the steepest fall of the smoothed curve is where this problem trains fastest
      const lr = res.suggestions!.steep.lr;
      expect(lr).toBeGreaterThan(0.01);
      expect(lr).toBeLessThan(1);
      const run = await gradientDescent(data, { lr, steps: 100 });
      expect(diagnoseLinearRun(run, data).kind).toBe('converged');
      opt.dispose();
      tf.dispose([x, y, a]);
    });
  });
});
