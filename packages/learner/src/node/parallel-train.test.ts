import { ImageDataset } from '@bears/data/node';
import { activeBackend } from '@bears/backend';
import * as tf from '@tensorflow/tfjs-core';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customArch } from '../archs.js';
import { cnnLearner } from '../cnn-learner.js';
import type { Learner } from '../learner.js';
import { unitStats } from '../normalization.js';
import { makeImageFolder, makeTinyModelFolder, tempDir, wasm } from '../test-support/fixtures.js';
import { compiledTrainWorker } from '../test-support/train-worker-script.js';
import { TrainingPool } from './parallel-train.js';
import { setWorkerScript } from './replica.js';

// Data-parallel unfrozen training on a tiny model: 2 workers take the steps 1 thread takes (same
// micro-batches, same dropout draws, one AdamW step on the summed gradients), and the pool stops on
// errors without leaving workers behind.
let dataRoot = '';
let modelDir = '';
let dataset: ImageDataset;
let workerScript: URL;

beforeAll(async () => {
  await wasm();
  workerScript = await compiledTrainWorker();
  setWorkerScript('train-worker', workerScript);
  dataRoot = await makeImageFolder({ perClass: 12, size: 40 });
  modelDir = await makeTinyModelFolder();
  dataset = await ImageDataset.fromFolder(dataRoot, { validPct: 0.25, seed: 1, size: 32 });
});

afterAll(async () => {
  await rm(dataRoot, { recursive: true, force: true });
  await rm(modelDir, { recursive: true, force: true });
});

async function tiny(trainWorkers: number | undefined, lines: string[] = [], extra: Parameters<typeof cnnLearner>[1] = {}): Promise<Learner> {
  return cnnLearner(dataset, {
    arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }),
    batchSize: 8,
    physicalBatchSize: 3, // micro-batches [3, 3, 2]: the replicas get [3] and [3, 2]
    modelDir: await tempDir(),
    log: (l) => lines.push(l),
    seed: 3,
    trainWorkers,
    ...extra,
  });
}

const values = (l: Learner) => Promise.all([...l.namedWeights().values()].map(async (w) => new Float32Array(await w.read().data())));
const relError = (got: Float32Array, want: Float32Array) =>
  got.reduce((m, v, j) => Math.max(m, Math.abs(v - want[j]!)), 0) / want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);

async function frozenThenUnfrozen(trainWorkers: number, extra: Parameters<typeof cnnLearner>[1] = {}) {
  const lines: string[] = [];
  const learn = await tiny(trainWorkers, lines, extra);
  try {
    await learn.fitOneCycle(1, 1e-2); // the head moves off its init (frozen: on the main thread)
    learn.unfreeze();
    const res = await learn.fitOneCycle(2, [1e-3, 1e-2]);
    return { losses: learn.recorder.losses.slice(), valid: res.epochs.map((e) => e.validLoss), weights: await values(learn), lines };
  } finally {
    learn.dispose();
  }
}

async function twoThreadLearner(lines: string[]): Promise<Learner> {
  // The wasm backend as if started on 2 threads: the default number of workers is its thread count.
  const b = activeBackend()!;
  return tiny(undefined, lines, { backend: { ...b, capabilities: { ...b.capabilities, threads: 2 } } });
}

describe('data-parallel unfrozen training', () => {
  it('runs as many workers as the wasm backend has threads by default, and trains on its threads when they cannot start', async () => {
    for (const script of [workerScript, new URL('./no-such-worker.mjs', workerScript)]) {
      setWorkerScript('train-worker', script);
      const lines: string[] = [];
      const learn = await twoThreadLearner(lines);
      try {
        learn.unfreeze();
        await learn.fitOneCycle(1, [1e-4, 1e-3]);
        expect(lines.find((l) => l.startsWith('unfrozen training:'))).toMatch(script === workerScript ? /^unfrozen training: 2 workers/ : /^unfrozen training: on the backend's threads \(the workers did not start: /);
      } finally {
        setWorkerScript('train-worker', workerScript);
        await learn.closeWorkers();
        learn.dispose();
      }
    }
  }, 60_000);

  it('takes the same steps on 2 workers as on 1 thread: losses, every weight, BN statistics', async () => {
    const one = await frozenThenUnfrozen(1);
    const two = await frozenThenUnfrozen(2);
    expect(two.lines).toContain('unfrozen training: 2 workers (data parallel, one wasm thread each)');
    expect(one.lines.join('\n')).not.toMatch(/workers/);
    expect(two.losses.length).toBe(one.losses.length);
    two.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i]!), `loss ${i}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(one.losses[i]!))));
    two.valid.forEach((l, i) => expect(Math.abs(l - one.valid[i]!), `valid loss ${i}`).toBeLessThan(1e-5));
    expect(two.weights.length).toBe(one.weights.length);
    two.weights.forEach((w, i) => expect(relError(w, one.weights[i]!), `weight ${i}`).toBeLessThan(1e-5));
    // The steps did move the body (the comparison is not of two untouched copies).
    const fresh = await tiny(1);
    const init = await values(fresh);
    fresh.dispose();
    expect(relError(one.weights[0]!, init[0]!)).toBeGreaterThan(1e-4);
  }, 120_000);

  it('takes the same steps with a folded ensemble head (heads: 2, twice as wide) on 2 workers as on 1 thread', async () => {
    const one = await frozenThenUnfrozen(1, { heads: 2 });
    const two = await frozenThenUnfrozen(2, { heads: 2 });
    expect(two.lines).toContain('unfrozen training: 2 workers (data parallel, one wasm thread each)');
    two.losses.forEach((l, i) => expect(Math.abs(l - one.losses[i]!), `loss ${i}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(one.losses[i]!))));
    two.weights.forEach((w, i) => expect(relError(w, one.weights[i]!), `weight ${i}`).toBeLessThan(1e-5));
  }, 120_000);

  it('keeps training on one thread when a batch is one micro-batch (nothing to split)', async () => {
    const lines: string[] = [];
    const learn = await tiny(2, lines, { physicalBatchSize: 8 });
    try {
      learn.unfreeze();
      await learn.fitOneCycle(1, [1e-4, 1e-3]);
      expect(lines.join('\n')).not.toMatch(/workers/);
    } finally {
      learn.dispose();
    }
  }, 60_000);

  it('stops every worker when one fails mid-step, and the next step starts a new pool', async () => {
    const learn = await tiny(2);
    try {
      learn.unfreeze();
      const pool = await TrainingPool.start(learn, 2);
      const x = tf.zeros([8, 32, 32, 3]);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
      const names = [...learn.namedWeights().keys()].filter((n) => n.endsWith('kernel'));
      // Sizes claiming more rows than sent: the second worker's slice is short and tensor() throws there.
      await expect(pool.step(x, y, [3, 3, 4], names, [0, 0])).rejects.toThrow(/a training worker failed/);
      const replicas = (pool as unknown as { replicas: Array<{ exited: boolean }> }).replicas;
      await expect.poll(() => replicas.every((r) => r.exited), { timeout: 5000 }).toBe(true);
      await expect(pool.step(x, y, [3, 3, 2], names, [0, 0])).rejects.toThrow(/closed/);
      tf.dispose([x, y]);
      // The learner's own pool is unaffected, and a fit still runs.
      await learn.fitOneCycle(1, [1e-4, 1e-3]);
    } finally {
      await learn.closeWorkers();
      learn.dispose();
    }
  }, 60_000);

  it('fails cleanly when a worker cannot start, and after a fit stopped by a callback', async () => {
    const learn = await tiny(2);
    try {
      setWorkerScript('train-worker', new URL('./no-such-worker.mjs', workerScript));
      await expect(TrainingPool.start(learn, 2)).rejects.toThrow(/training worker/);
      setWorkerScript('train-worker', workerScript);
      learn.unfreeze();
      const res = await learn.fitOneCycle(1, [1e-4, 1e-3], { callbacks: [{ name: 'stop', onBatchEnd: () => 'stop' }] });
      expect(res.stopped).toBe('stopped by a callback');
      await expect(learn.fitOneCycle(1, [1e-4, 1e-3], { callbacks: [{ name: 'boom', onBatchEnd: () => { throw new Error('boom'); } }] })).rejects.toThrow('boom');
    } finally {
      setWorkerScript('train-worker', workerScript);
      await learn.closeWorkers();
      learn.dispose();
    }
  }, 60_000);
});
