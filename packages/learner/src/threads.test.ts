import { configureWasmThreads, resizeWasmThreadPool, wasmThreadCount } from '@bears/backend-wasm/node';
import { ImageDataset } from '@bears/data/node';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureCache } from './feature-cache.js';
import { cnnLearner } from './node.js';
import { makeImageFolder, MOBILENET_DIR, tempDir, wasm } from './test-support/fixtures.js';

// The learner on the wasm backend's 2 threads gives what it gives on 1 (pool resized in the same
// process): feature extraction, and one unfrozen epoch of MobileNet v1 (same seed, same batches).
let dataRoot = '';
let dataset: ImageDataset;

beforeAll(async () => {
  configureWasmThreads(2);
  await wasm();
  dataRoot = await makeImageFolder({ perClass: 4, size: 72 });
  dataset = await ImageDataset.fromFolder(dataRoot, { validPct: 0.25, seed: 1, size: 64 });
});

afterAll(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

async function run(threads: number) {
  expect(resizeWasmThreadPool(threads)).toBe(threads);
  // trainWorkers: 1: this compares the wasm backend's own threads (node/parallel-train.test.ts covers the workers).
  const learn = await cnnLearner(dataset, { pretrained: MOBILENET_DIR, batchSize: 4, seed: 5, cacheViews: 1, trainWorkers: 1, modelDir: await tempDir(), log: () => {} });
  try {
    const cache = await learn.prepareFeatures();
    const features = (cache as unknown as { valid: Float32Array }).valid.slice();
    learn.unfreeze();
    const res = await learn.fitOneCycle(1, [1e-4, 1e-3]);
    const weights = await Promise.all(learn.body.model.weights.slice(0, 6).map(async (w) => new Float32Array(await w.read().data())));
    return { features, validLoss: res.epochs[0]!.validLoss, weights };
  } finally {
    learn.dispose();
  }
}

const relError = (got: Float32Array, want: Float32Array) =>
  got.reduce((m, v, j) => Math.max(m, Math.abs(v - want[j]!)), 0) / want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);

describe('learner on 2 wasm threads', () => {
  it('extracts the same features and takes the same unfrozen steps as on 1 thread', async () => {
    expect(wasmThreadCount()).toBe(2);
    const one = await run(1);
    const two = await run(2);
    expect(relError(two.features, one.features)).toBeLessThan(1e-5);
    expect(Math.abs(two.validLoss - one.validLoss)).toBeLessThan(1e-4 * Math.max(1, one.validLoss));
    two.weights.forEach((w, i) => expect(relError(w, one.weights[i]!), `weight ${i}`).toBeLessThan(1e-4));
  }, 300_000);
});

describe('feature extraction batch size', () => {
  it('gives the same features at any batch size (the learner extracts in batches of 16 whatever it trains with)', async () => {
    const learn = await cnnLearner(dataset, { pretrained: MOBILENET_DIR, batchSize: 4, seed: 5, modelDir: await tempDir(), log: () => {} });
    try {
      const build = (batchSize: number) => FeatureCache.build(dataset, learn.body.model, {
        views: 1, size: 64, batchSize, normalize: learn.normalize, bodyVersion: 0, seed: 5, validResize: learn.validResize,
      });
      const [a, b] = [await build(3), await build(16)];
      const arrays = (c: FeatureCache) => c as unknown as { train: Float32Array[]; valid: Float32Array };
      expect(Array.from(arrays(b).train[0]!)).toEqual(Array.from(arrays(a).train[0]!));
      expect(Array.from(arrays(b).valid)).toEqual(Array.from(arrays(a).valid));
      a.dispose();
      b.dispose();
    } finally {
      learn.dispose();
    }
  }, 120_000);
});
