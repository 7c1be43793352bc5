import { activeBackend } from '@bears/backend';
import { ImageDataset } from '@bears/data/node';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cnnLearner } from '../cnn-learner.js';
import { loadLearner } from '../export-node.js';
import { makeImageFolder, MOBILENET_DIR, tempDir, wasm } from '../test-support/fixtures.js';
import { compiledInferenceWorker } from '../test-support/train-worker-script.js';
import { InferencePool, splitRows } from './parallel-infer.js';
import { setWorkerScript } from './replica.js';

// predictBatch on worker_threads copies (one wasm thread each) gives what one thread gives:
// MobileNet v1 at 64 px, so its batch norm + relu6 pairs are folded on both sides.
let dataRoot = '';
let dataset: ImageDataset;
let files: string[] = [];
let workerScript: URL;

beforeAll(async () => {
  await wasm();
  workerScript = await compiledInferenceWorker();
  setWorkerScript('infer-worker', workerScript);
  dataRoot = await makeImageFolder({ perClass: 7, size: 72 });
  dataset = await ImageDataset.fromFolder(dataRoot, { validPct: 0.25, seed: 1, size: 64 });
  for (const cls of await readdir(dataRoot)) for (const f of await readdir(path.join(dataRoot, cls))) files.push(path.join(dataRoot, cls, f));
  files = files.sort();
});

afterAll(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

/** An export folder of MobileNet v1 with a head trained one epoch (off its init, so the classes' probabilities differ). */
async function exported(): Promise<string> {
  const learn = await cnnLearner(dataset, { pretrained: MOBILENET_DIR, batchSize: 4, seed: 5, modelDir: await tempDir(), log: () => {} });
  const dir = await tempDir();
  try {
    await learn.fitOneCycle(1, 1e-2);
    await learn.export(dir);
  } finally {
    learn.dispose();
  }
  return dir;
}

const relError = (got: Float32Array, want: Float32Array) =>
  got.reduce((m, v, j) => Math.max(m, Math.abs(v - want[j]!)), 0) / want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);

describe('parallel inference', () => {
  it('splits rows into contiguous, even shares', () => {
    expect(splitRows(16, 2)).toEqual([{ start: 0, rows: 8 }, { start: 8, rows: 8 }]);
    expect(splitRows(5, 2)).toEqual([{ start: 0, rows: 3 }, { start: 3, rows: 2 }]);
    expect(splitRows(1, 2)).toEqual([{ start: 0, rows: 1 }]);
  });

  it('predictBatch over several batches gives the same predictions on 2 workers, keeps them between calls, and goes on alone when a worker dies', async () => {
    const dir = await exported();
    const here = await loadLearner(dir, { inferenceWorkers: 1 });
    const there = await loadLearner(dir, { inferenceWorkers: 2 });
    try {
      const want = await here.predictBatch(files, { batchSize: 4 });
      const got = await there.predictBatch(files, { batchSize: 4 });
      const pool = (there as unknown as { pool?: InferencePool }).pool;
      expect(pool?.workers).toBe(2);
      const close = (g: typeof got) => g.forEach((p, i) => {
        expect(p.label).toBe(want[i]!.label);
        expect(relError(Float32Array.from(p.probabilities), Float32Array.from(want[i]!.probabilities)), `image ${i}`).toBeLessThan(1e-5);
      });
      close(got);
      // The same pool serves the next calls, two of them at once too (they queue for the workers).
      close(await there.predictBatch(files, { batchSize: 4 }));
      const [c1, c2] = await Promise.all([there.predictBatch(files, { batchSize: 4 }), there.predictBatch(files, { batchSize: 4 })]);
      close(c1!);
      close(c2!);
      expect((there as unknown as { pool?: InferencePool }).pool).toBe(pool);
      expect((pool as unknown as { closed: boolean }).closed).toBe(false);
      // tta on a started pool: each photo's views are one batch on the workers, the same mix.
      const ttaHere = await here.predict(files[0]!, { tta: { n: 3 } });
      const ttaThere = await there.predict(files[0]!, { tta: { n: 3 } });
      expect(relError(Float32Array.from(ttaThere.probabilities), Float32Array.from(ttaHere.probabilities))).toBeLessThan(1e-5);
      // A dead worker: that call finishes on this thread, with the same answers.
      const replicas = (pool as unknown as { replicas: Array<{ worker: { terminate(): Promise<number> } }> }).replicas;
      await replicas[1]!.worker.terminate();
      close(await there.predictBatch(files, { batchSize: 4 }));
      // One failure closes the pool for every road to it (lanes, whole batches, tta): later calls run
      // here from the start, with the same answers, and the copy left is shut down.
      expect((there as unknown as { pool?: InferencePool }).pool).toBeUndefined();
      expect((pool as unknown as { closed: boolean }).closed).toBe(true);
      expect(await there.startInferenceWorkers()).toBe(0);
      close(await there.predictBatch(files, { batchSize: 4 }));
      const ttaAfter = await there.predict(files[0]!, { tta: { n: 3 } });
      expect(relError(Float32Array.from(ttaAfter.probabilities), Float32Array.from(ttaHere.probabilities))).toBeLessThan(1e-5);
    } finally {
      here.dispose();
      there.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('runOne sends each call to the first free worker, more calls than workers queue, and close() turns the waiting ones away', async () => {
    const dir = await exported();
    const here = await loadLearner(dir, { inferenceWorkers: 1 });
    const pool = await InferencePool.start(here.model, 2, { fuse: true });
    try {
      const size = here.inputSize;
      const per = size * size * 3;
      const x = Float32Array.from({ length: 3 * per }, (_, i) => Math.sin(i * 0.37));
      const want = await pool.run(x, 3, [size, size, 3]);
      const got = await Promise.all(Array.from({ length: 5 }, () => pool.runOne(x, 3, [size, size, 3])));
      for (const g of got) expect(relError(g, want)).toBeLessThan(1e-5);
      // runOne copies its input: the caller keeps it whole for a retry elsewhere.
      expect(x.length).toBe(3 * per);
      // Three calls on two workers: the third waits for one, and close() rejects it rather than leaving it hanging.
      const calls = Array.from({ length: 3 }, () => pool.runOne(x, 3, [size, size, 3]).then(() => 'done', (e: Error) => e.message));
      await pool.close();
      const outcomes = await Promise.all(calls);
      expect(outcomes.some((o) => /closed/.test(o))).toBe(true);
      await expect(pool.runOne(x, 3, [size, size, 3])).rejects.toThrow(/closed/);
    } finally {
      await pool.close();
      here.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('by default on a 2-thread backend: a call of 256+ images starts them in the background (it runs here until they are up), startInferenceWorkers() at once', async () => {
    const dir = await exported();
    const b = activeBackend()!;
    const here = await loadLearner(dir, { inferenceWorkers: 1 });
    const model = await loadLearner(dir, { backend: { ...b, capabilities: { ...b.capabilities, threads: 2 } } });
    try {
      const many = Array.from({ length: 256 }, (_, i) => files[i % files.length]!);
      const want = await here.predictBatch(many, { batchSize: 32 });
      // Fewer than 256 images: none started.
      await model.predictBatch(files, { batchSize: 4 });
      expect((model as unknown as { poolStart?: Promise<void> }).poolStart).toBeUndefined();
      const first = await model.predictBatch(many, { batchSize: 32 });
      await (model as unknown as { poolStart?: Promise<void> }).poolStart;
      expect((model as unknown as { pool?: InferencePool }).pool?.workers).toBe(2);
      const second = await model.predictBatch(many, { batchSize: 32 });
      for (const got of [first, second]) got.forEach((p, i) => expect(relError(Float32Array.from(p.probabilities), Float32Array.from(want[i]!.probabilities))).toBeLessThan(1e-5));
      const fresh = await loadLearner(dir, { backend: { ...b, capabilities: { ...b.capabilities, threads: 2 } } });
      expect(await fresh.startInferenceWorkers()).toBe(2);
      expect(await here.startInferenceWorkers()).toBe(0);
      fresh.dispose();
    } finally {
      here.dispose();
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('predicts on the backend\'s threads when the workers cannot start, unless asked for them by name', async () => {
    const dir = await exported();
    setWorkerScript('infer-worker', new URL('./no-such-worker.mjs', workerScript));
    const b = activeBackend()!;
    // By default (a 2-thread backend: 2 copies wanted) it predicts without them.
    const byDefault = await loadLearner(dir, { backend: { ...b, capabilities: { ...b.capabilities, threads: 2 } } });
    const asked = await loadLearner(dir, { inferenceWorkers: 2 });
    try {
      expect(await byDefault.startInferenceWorkers()).toBe(0);
      expect((byDefault as unknown as { pool?: InferencePool }).pool).toBeUndefined();
      expect(await byDefault.predictBatch(files, { batchSize: 4 })).toHaveLength(files.length);
      await expect(asked.predictBatch(files, { batchSize: 4 })).rejects.toThrow(/inference worker/);
    } finally {
      setWorkerScript('infer-worker', workerScript);
      byDefault.dispose();
      asked.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
