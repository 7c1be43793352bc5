import * as tf from '@tensorflow/tfjs-core';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { diagnoseLinearRun, gradientDescent, leastSquares, lossAt, makeLinearData, minibatchSgd, mse } from './from-scratch.js';

beforeAll(async () => {
  await useBackend('wasm', { env: null });
});

describe('makeLinearData', () => {
  it('makes the lesson data: n=100, x = [uniform(-1,1), 1], seeded', () => {
    const d = makeLinearData();
    expect(d.n).toBe(100);
    expect(d.d).toBe(2);
    expect(d.trueA).toEqual([3, 2]);
    for (let i = 0; i < d.n; i++) {
      expect(d.x[i * 2 + 1]).toBe(1);
      expect(Math.abs(d.x[i * 2]!)).toBeLessThanOrEqual(1);
      // y = x @ a + noise with |noise| <= 0.5
      expect(Math.abs(d.y[i]! - (3 * d.x[i * 2]! + 2))).toBeLessThanOrEqual(0.5);
    }
    expect(makeLinearData()).toEqual(d);
    expect(makeLinearData({ seed: 7 }).x).not.toEqual(d.x);
  });

  it("reproduces the notebook's uniform [0,1) noise with noise: 'lesson'", () => {
    const d = makeLinearData({ noise: 'lesson' });
    const res = Array.from(d.y, (y, i) => y - (3 * d.x[i * 2]! + 2));
    expect(Math.min(...res)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...res)).toBeLessThan(1);
    expect(leastSquares(d).a[1]).toBeCloseTo(2.5, 0);
  });

  it('rejects bad options with the value in the message', () => {
    expect(() => makeLinearData({ n: 1 })).toThrow(/n must be an integer >= 2, got 1/);
    expect(() => makeLinearData({ a: [] })).toThrow(/a must be a non-empty array/);
    expect(() => makeLinearData({ noise: -1 })).toThrow(/noise/);
  });
});

describe('mse', () => {
  it("is the lesson's ((y_hat - y)**2).mean()", async () => {
    const l = mse(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 4, 0]));
    expect((await l.data())[0]).toBeCloseTo((0 + 4 + 9) / 3, 5);
    l.dispose();
  });

  it('refuses shapes that would broadcast', () => {
    const a = tf.zeros([4, 1]);
    const b = tf.zeros([4]);
    expect(() => mse(a, b)).toThrow(/shape \[4,1\] and y shape \[4\] differ/);
    tf.dispose([a, b]);
  });
});

describe('gradientDescent', () => {
  const data = makeLinearData();

  it('recovers a close to (3, 2) with lr = 0.1 in 100 steps', async () => {
    const run = await gradientDescent(data, { lr: 0.1, steps: 100 });
    expect(run.history).toHaveLength(101);
    expect(run.history[0]!.a).toEqual([-1, 1]);
    expect(run.a[0]).toBeCloseTo(3, 0);
    expect(Math.abs(run.a[0]! - 3)).toBeLessThan(0.15);
    expect(Math.abs(run.a[1]! - 2)).toBeLessThan(0.1);
    // and it is where least squares says the best fit is
    const best = leastSquares(data);
    expect(Math.abs(run.a[0]! - best.a[0]!)).toBeLessThan(0.02);
    expect(run.loss).toBeLessThan(best.loss * 1.01);
    expect(run.diverged).toBe(false);
    expect(diagnoseLinearRun(run, data).kind).toBe('converged');
  });

  it('computes the gradient by autodiff: one step matches the analytic 2/n X^T (Xa - y)', async () => {
    const run = await gradientDescent(data, { lr: 0.1, steps: 1, init: [-1, 1] });
    const g = [0, 0];
    for (let i = 0; i < data.n; i++) {
      const r = -1 * data.x[i * 2]! + 1 - data.y[i]!;
      g[0] += (2 / data.n) * r * data.x[i * 2]!;
      g[1] += (2 / data.n) * r;
    }
    expect(run.history[1]!.a[0]).toBeCloseTo(-1 - 0.1 * g[0]!, 5);
    expect(run.history[1]!.a[1]).toBeCloseTo(1 - 0.1 * g[1]!, 5);
    expect(run.history[0]!.loss).toBeCloseTo(lossAt(data, [-1, 1]), 10);
  });

  it('diverges with a learning rate that is too high, and says so', async () => {
    const run = await gradientDescent(data, { lr: 1.5, steps: 100 });
    expect(run.history[run.history.length - 1]!.loss).toBeGreaterThan(run.history[0]!.loss * 1e6);
    const d = diagnoseLinearRun(run, data);
    expect(d.kind).toBe('lr-too-high');
    expect(d.message).toMatch(/Learning rate too high/);
    expect(d.message).toMatch(/diverges/);
    expect(d.advice).toMatch(/smaller learning rate/);
  });

  it('stops and flags divergence when the loss overflows', async () => {
    const run = await gradientDescent(data, { lr: 50, steps: 500 });
    expect(run.diverged).toBe(true);
    expect(run.history.length).toBeLessThan(501);
    expect(diagnoseLinearRun(run, data).kind).toBe('lr-too-high');
  });

  it('crawls with a learning rate that is too low, and says so', async () => {
    const run = await gradientDescent(data, { lr: 0.001, steps: 100 });
    const losses = run.history.map((h) => h.loss);
    // still going down every step, just slowly
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]!);
    const d = diagnoseLinearRun(run, data);
    expect(d.kind).toBe('lr-too-low');
    expect(d.progress).toBeLessThan(0.5);
    expect(d.message).toMatch(/too low/);
    expect(d.message).toMatch(/take forever/);
    expect(d.advice).toMatch(/larger learning rate/);
  });

  it('says a working learning rate that ran too few steps is not there yet', async () => {
    const run = await gradientDescent(data, { lr: 0.1, steps: 20 });
    const d = diagnoseLinearRun(run, data);
    expect(d.kind).toBe('not-converged');
    expect(d.progress).toBeGreaterThan(0.5);
    expect(d.progress).toBeLessThan(0.99);
    expect(d.advice).toMatch(/more steps/);
  });

  it('calls onStep for every update and validates options', async () => {
    const seen: number[] = [];
    await gradientDescent(data, { steps: 3, onStep: (s) => void seen.push(s.step) });
    expect(seen).toEqual([1, 2, 3]);
    await expect(gradientDescent(data, { lr: -1 })).rejects.toThrow(/lr must be a finite number > 0, got -1/);
    await expect(gradientDescent(data, { init: [1] })).rejects.toThrow(/init must be 2 finite numbers/);
    await expect(gradientDescent(data, { steps: 1.5 })).rejects.toThrow(/steps must be an integer/);
  });
});

describe('minibatchSgd', () => {
  const data = makeLinearData();

  it('runs epochs of random minibatches and recovers a', async () => {
    const run = await minibatchSgd(data, { lr: 0.1, epochs: 10, batchSize: 10, seed: 1 });
    expect(run.method).toBe('sgd');
    expect(run.history).toHaveLength(1 + 10 * 10);
    expect(run.history[10]!.epoch).toBe(1);
    expect(run.history[11]!.epoch).toBe(2);
    expect(run.history.slice(1).every((h) => typeof h.batchLoss === 'number' && h.batch!.length === 10)).toBe(true);
    // each epoch visits every point exactly once
    expect(run.history.slice(1, 11).flatMap((h) => h.batch!).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Math.abs(run.a[0]! - 3)).toBeLessThan(0.2);
    expect(Math.abs(run.a[1]! - 2)).toBeLessThan(0.15);
  });

  it('is reproducible by seed and differs across seeds', async () => {
    const a = await minibatchSgd(data, { epochs: 1, batchSize: 25, seed: 3 });
    const b = await minibatchSgd(data, { epochs: 1, batchSize: 25, seed: 3 });
    const c = await minibatchSgd(data, { epochs: 1, batchSize: 25, seed: 4 });
    expect(a.history).toEqual(b.history);
    expect(a.history[1]!.a).not.toEqual(c.history[1]!.a);
  });

  it('handles a last partial batch, or drops it', async () => {
    expect((await minibatchSgd(data, { epochs: 2, batchSize: 30 })).history).toHaveLength(1 + 2 * 4);
    expect((await minibatchSgd(data, { epochs: 2, batchSize: 30, dropLast: true })).history).toHaveLength(1 + 2 * 3);
  });

  it('leaks no tensors over a long run', async () => {
    await minibatchSgd(data, { epochs: 1, batchSize: 10 });
    const before = tf.memory().numTensors;
    await minibatchSgd(data, { epochs: 20, batchSize: 5 });
    await gradientDescent(data, { steps: 200 });
    await gradientDescent(data, { lr: 50, steps: 100 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
