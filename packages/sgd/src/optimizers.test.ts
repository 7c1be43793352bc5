import * as tf from '@tensorflow/tfjs-core';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, SGD, type OptimizerState } from './optimizers.js';

beforeAll(async () => {
  await useBackend('wasm', { env: null });
});

const P0 = [0.5, -1.25, 2];
const GRADS = [
  [0.1, -0.3, 0.25],
  [0.05, 0.2, -0.4],
  [-0.2, 0.1, 0.3],
];

function variable(values = P0, name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor1d(values), true, name));
}

async function run(opt: { applyGradients(g: Map<tf.Variable, tf.Tensor>): void }, v: tf.Variable, grads = GRADS): Promise<number[][]> {
  const out: number[][] = [];
  for (const g of grads) {
    const t = tf.tensor1d(g);
    opt.applyGradients(new Map([[v, t]]));
    t.dispose();
    out.push(Array.from(await v.data()));
  }
  return out;
}

function expectClose(actual: number[][], expected: number[][], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(v, `step ${i + 1}, element ${j}`).toBeCloseTo(expected[i]![j]!, digits)));
}

/** Hand-written reference: PyTorch SGD (dampening 0) with fastai's decoupled or L2 weight decay. */
function refSgd(lr: number, mom: number, wd: number, decoupled: boolean, nesterov = false): number[][] {
  let p = [...P0];
  let buf: number[] | null = null;
  const out: number[][] = [];
  for (const g0 of GRADS) {
    const g = g0.map((v, i) => (decoupled ? v : v + wd * p[i]!));
    if (decoupled) p = p.map((v) => v * (1 - lr * wd));
    buf = buf ? buf.map((b, i) => mom * b + g[i]!) : [...g];
    const dir = nesterov ? g.map((v, i) => v + mom * buf![i]!) : buf;
    p = p.map((v, i) => v - lr * dir[i]!);
    out.push(p);
  }
  return out;
}

/** Hand-written reference: Adam as fastai/PyTorch (eps outside the debiased sqrt). */
function refAdam(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean): number[][] {
  let p = [...P0];
  let m = [0, 0, 0];
  let v = [0, 0, 0];
  const out: number[][] = [];
  GRADS.forEach((g0, t0) => {
    const t = t0 + 1;
    const g = g0.map((x, i) => (decoupled ? x : x + wd * p[i]!));
    if (decoupled) p = p.map((x) => x * (1 - lr * wd));
    m = m.map((x, i) => b1 * x + (1 - b1) * g[i]!);
    v = v.map((x, i) => b2 * x + (1 - b2) * g[i]! ** 2);
    p = p.map((x, i) => x - (lr / (1 - b1 ** t)) * (m[i]! / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps)));
    out.push(p);
  });
  return out;
}

describe('SGD', () => {
  it('matches hand-computed momentum updates (first buffer = gradient)', async () => {
    const v = variable();
    const opt = new SGD([v], { lr: 0.1, momentum: 0.9 });
    expectClose(await run(opt, v), refSgd(0.1, 0.9, 0, true));
    opt.dispose();
    v.dispose();
  });

  it('plain SGD with momentum 0 is p -= lr * grad', async () => {
    const v = variable();
    const opt = new SGD([v], { lr: 0.5, momentum: 0 });
    const got = await run(opt, v, [GRADS[0]!]);
    expectClose(got, [P0.map((p, i) => p - 0.5 * GRADS[0]![i]!)]);
    opt.dispose();
    v.dispose();
  });

  it('nesterov, decoupled and L2 weight decay', async () => {
    for (const [nesterov, decoupled] of [
      [true, true],
      [false, true],
      [false, false],
    ] as const) {
      const v = variable();
      const opt = new SGD([v], { lr: 0.05, momentum: 0.8, wd: 0.1, nesterov, decoupledWd: decoupled });
      expectClose(await run(opt, v), refSgd(0.05, 0.8, 0.1, decoupled, nesterov));
      opt.dispose();
      v.dispose();
    }
  });

  it('setMomentum changes the momentum of later steps', async () => {
    const v = variable();
    const opt = new SGD([v], { lr: 0.1, momentum: 0.9 });
    await run(opt, v, [GRADS[0]!]);
    opt.setMomentum(0.5);
    const got = await run(opt, v, [GRADS[1]!]);
    const buf = GRADS[0]!.map((g, i) => 0.5 * g + GRADS[1]![i]!);
    const p1 = P0.map((p, i) => p - 0.1 * GRADS[0]![i]!);
    expectClose(got, [p1.map((p, i) => p - 0.1 * buf[i]!)]);
    expect(() => opt.setMomentum(1.5)).toThrow(/momentum must be a finite number in \[0, 1\], got 1.5/);
    opt.dispose();
    v.dispose();
  });
});

describe('Adam and AdamW', () => {
  it('Adam matches hand-computed updates (L2 weight decay)', async () => {
    const v = variable();
    const opt = new Adam([v], { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.1 });
    expectClose(await run(opt, v), refAdam(0.01, 0.9, 0.999, 1e-8, 0.1, false));
    opt.dispose();
    v.dispose();
  });

  it("AdamW has fastai's defaults and decoupled weight decay", async () => {
    const v = variable();
    const opt = new AdamW([v]);
    expect(opt.lrs).toEqual([1e-3]);
    expect(opt.wds).toEqual([1e-2]);
    expect([opt.beta1, opt.beta2, opt.eps]).toEqual([0.9, 0.99, 1e-5]);
    expectClose(await run(opt, v), refAdam(1e-3, 0.9, 0.99, 1e-5, 1e-2, true), 6);
    opt.dispose();
    v.dispose();
  });

  it('AdamW with a large wd shrinks weights by exactly (1 - lr*wd) when the gradient is zero', async () => {
    const v = variable();
    const opt = new AdamW([v], { lr: 0.1, wd: 0.5 });
    const got = await run(opt, v, [[0, 0, 0]]);
    expectClose(got, [P0.map((p) => p * (1 - 0.1 * 0.5))]);
    opt.dispose();
    v.dispose();
  });
});

describe('parameter groups', () => {
  it('each group uses its own lr and wd; setLr sets one per group or one for all', async () => {
    const body = variable([1, 1, 1]);
    const head = variable([1, 1, 1]);
    const opt = new SGD(
      [
        { params: [body], lr: 0.01, name: 'body' },
        { params: [head], lr: 0.1, wd: 0.5, name: 'head' },
      ],
      { lr: 1, momentum: 0 },
    );
    expect(opt.lrs).toEqual([0.01, 0.1]);
    expect(opt.wds).toEqual([0, 0.5]);
    const g = tf.ones([3]);
    opt.applyGradients(new Map([[body, g], [head, g]]));
    expect(Array.from(await body.data())[0]).toBeCloseTo(1 - 0.01, 6);
    expect(Array.from(await head.data())[0]).toBeCloseTo(1 * (1 - 0.1 * 0.5) - 0.1, 6);
    opt.setLr([0.2, 0.3]);
    expect(opt.lrs).toEqual([0.2, 0.3]);
    opt.setLr(0.05);
    expect(opt.lrs).toEqual([0.05, 0.05]);
    opt.setLr([0.07]);
    expect(opt.lrs).toEqual([0.07, 0.07]);
    expect(() => opt.setLr([1, 2, 3])).toThrow(/got 3 values for 2 parameter groups/);
    expect(() => opt.setLr(-1)).toThrow(/lr\[0\] must be a finite number >= 0, got -1/);
    // grads are not disposed by the optimizer
    expect(g.isDisposed).toBe(false);
    tf.dispose([g, body, head]);
    opt.dispose();
  });

  it("accepts tf.variableGrads' named grads, skips missing grads and frozen variables", async () => {
    const a = variable([1, 2, 3]);
    const b = variable([4, 5, 6]);
    const c = variable([7, 8, 9]);
    c.trainable = false;
    const opt = new SGD([{ params: [a, b, c] }], { lr: 0.1, momentum: 0 });
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(a, a)), [a]);
    opt.applyGradients(grads);
    expect(Array.from(await a.data())).toEqual([1, 2, 3].map((x) => expect.closeTo(x - 0.1 * 2 * x, 5)));
    expect(Array.from(await b.data())).toEqual([4, 5, 6]);
    const gc = tf.ones([3]);
    opt.applyGradients(new Map([[c, gc]]));
    expect(Array.from(await c.data())).toEqual([7, 8, 9]);
    tf.dispose([value, gc, a, b, c, ...Object.values(grads)]);
    opt.dispose();
  });

  it('rejects bad groups and gradients with clear errors', () => {
    const a = variable();
    expect(() => new SGD([{ params: [a] }, { params: [a] }], { lr: 0.1 })).toThrow(/appears in more than one parameter group/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/non-empty array/);
    expect(() => new SGD([a], { lr: Number.NaN })).toThrow(/lr must be a finite number >= 0, got NaN/);
    expect(() => new Adam([a], { beta2: 1 })).toThrow(/beta2 must be a finite number in \[0, 1\), got 1/);
    const opt = new SGD([a], { lr: 0.1 });
    const wrong = tf.ones([2]);
    expect(() => opt.applyGradients(new Map([[a, wrong]]))).toThrow(new RegExp(`gradient for '${a.name}' has shape \\[2\\], the variable has \\[3\\]`));
    tf.dispose([wrong, a]);
    opt.dispose();
    expect(() => opt.applyGradients(new Map())).toThrow(/after dispose/);
  });
});

describe('state', () => {
  it('getState/setState resumes exactly where it left off', async () => {
    for (const make of [(v: tf.Variable) => new SGD([v], { lr: 0.1, momentum: 0.9, wd: 0.01 }), (v: tf.Variable) => new AdamW([v], { lr: 0.01 })]) {
      const v = variable();
      const opt = make(v);
      await run(opt, v, GRADS.slice(0, 2));
      const saved = await opt.getState();
      const savedParams = Array.from(await v.data());
      const expected = await run(opt, v, GRADS.slice(2));
      // JSON-serializable apart from the Float32Arrays
      const roundTrip = JSON.parse(JSON.stringify(saved, (_k, x) => (x instanceof Float32Array ? { f32: Array.from(x) } : x)), (_k, x) =>
        x && typeof x === 'object' && 'f32' in x ? Float32Array.from(x.f32 as number[]) : x,
      ) as OptimizerState;
      opt.dispose();
      v.assign(tf.tensor1d(savedParams));
      const fresh = make(v);
      fresh.setState(roundTrip);
      expectClose(await run(fresh, v, GRADS.slice(2)), expected, 6);
      fresh.dispose();
      v.dispose();
    }
  });

  it('refuses a state from another optimizer or with wrong shapes, leaving itself untouched', async () => {
    const v = variable();
    const sgd = new SGD([v], { lr: 0.1 });
    await run(sgd, v, [GRADS[0]!]);
    const state = await sgd.getState();
    expect(state.type).toBe('SGD');
    expect(state.groups[0]!.params).toEqual([v.name]);
    expect(state.params[v.name]!.step).toBe(1);
    const adam = new Adam([v]);
    expect(() => adam.setState(state)).toThrow(/saved by SGD, not Adam/);
    const bad = structuredClone(state);
    bad.params[v.name]!.slots.momentum!.shape = [2];
    expect(() => sgd.setState(bad)).toThrow(/slot 'momentum' of '.*' has shape \[2\]/);
    const unknown = structuredClone(state);
    unknown.params['nope'] = unknown.params[v.name]!;
    expect(() => sgd.setState(unknown)).toThrow(/'nope', which is not one of this optimizer's variables/);
    expect((await sgd.getState()).params[v.name]!.slots.momentum!.values).toEqual(state.params[v.name]!.slots.momentum!.values);
    sgd.dispose();
    adam.dispose();
    v.dispose();
  });

  it('keeps numTensors flat over many steps and frees its slots on dispose', async () => {
    const vars = [variable(), variable([1, 2, 3]), tf.tidy(() => tf.variable(tf.ones([4, 5])))];
    const base = tf.memory().numTensors;
    for (const make of [() => new SGD(vars, { lr: 0.01, nesterov: true, wd: 0.1 }), () => new Adam(vars, { wd: 0.1 }), () => new AdamW(vars)]) {
      const opt = make();
      const step = () => {
        const { value, grads } = tf.variableGrads(() => tf.add(tf.sum(tf.square(vars[0]!)), tf.add(tf.sum(vars[1]!), tf.sum(tf.square(vars[2]!)))));
        opt.applyGradients(grads);
        tf.dispose([value, ...Object.values(grads)]);
      };
      step();
      const warm = tf.memory().numTensors;
      for (let i = 0; i < 200; i++) step();
      expect(tf.memory().numTensors).toBe(warm);
      const state = await opt.getState();
      opt.setState(state);
      expect(tf.memory().numTensors).toBe(warm);
      opt.dispose();
      expect(tf.memory().numTensors).toBe(base);
    }
    tf.dispose(vars);
  });
});
