import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ImageDataset } from '@bears/data/node';
import { imagenetStats } from '@bears/data';
import { rm, writeFile } from 'node:fs/promises';
import { FeatureCache, type LearnerData } from './feature-cache.js';
import { concatPool } from './head.js';
import { makeImageFolder, wasm } from './test-support/fixtures.js';

let dataset: ImageDataset;

beforeAll(async () => {
  await wasm();
  dataset = await ImageDataset.fromFolder(await makeImageFolder({ perClass: 7, size: 24 }), { validPct: 0.25, seed: 2, size: 16 });
});

/** A body of conv -> batch norm -> relu6 (what MobileNet repeats), with running statistics away from the identity. */
function body(): tfl.LayersModel {
  const input = tfl.input({ shape: [16, 16, 3] });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: 4 }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu6' }).apply(x) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: x });
  m.getLayer('bn').setWeights([tf.fill([6], 1.7), tf.fill([6], 0.3), tf.fill([6], -0.2), tf.fill([6], 0.4)]);
  return m;
}

async function features(cache: FeatureCache): Promise<{ train: number[]; valid: number[] }> {
  const train: number[] = [];
  for (const b of cache.trainBatches(0, cache.trainCount, 1)) {
    train.push(...(await b.x.data()));
    tf.dispose([b.x, b.y]);
  }
  const { logits, labels } = cache.validLogits((x) => x.clone());
  const valid = logits.flatMap((l) => Array.from(l.dataSync()));
  tf.dispose([...logits, ...labels]);
  return { train, valid };
}

describe('FeatureCache.build', () => {
  it('gives the same activations, in the same order, fused and decoding between forward passes (prefetch 0) as plain with decodes ahead', async () => {
    const m = body();
    const base = { views: 1, size: 16, batchSize: 4, normalize: imagenetStats, bodyVersion: 0, seed: 5 };
    const plain = await FeatureCache.build(dataset, m, base);
    const tensors = tf.memory().numTensors;
    const lazy = await FeatureCache.build(dataset, m, { ...base, fuse: true, prefetch: 0 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(lazy.trainCount).toBe(dataset.train.length);
    expect(lazy.validCount).toBe(dataset.valid.length);
    const [a, b] = [await features(plain), await features(lazy)];
    expect(b.train).toEqual(a.train);
    expect(b.valid).toEqual(a.valid);
    expect(a.train.some((v) => v > 0 && v < 6)).toBe(true);
    m.dispose();
  });

  it('runs its views back to back (the next one decoding during the last batches) with each view what its own loader gives', async () => {
    const m = body();
    const cache = await FeatureCache.build(dataset, m, { views: 3, size: 16, batchSize: 4, normalize: imagenetStats, bodyVersion: 0, seed: 5 });
    for (let v = 0; v < 3; v++) {
      const want: number[] = [];
      for await (const b of dataset.loader('train', { batchSize: 4, size: 16, shuffle: false, augment: true, epoch: v, seed: 5 })) {
        want.push(...(await tf.tidy(() => concatPool(m.apply(b.x, { training: false }) as tf.Tensor4D)).data()));
      }
      const got: number[] = [];
      for (const b of cache.trainBatches(v, cache.trainCount, 1)) {
        // trainBatches shuffles the rows: compare them as sets below.
        got.push(...(await b.x.data()));
        tf.dispose([b.x, b.y]);
      }
      const dim = want.length / dataset.train.length;
      const rows = (xs: number[]) => Array.from({ length: xs.length / dim }, (_, i) => xs.slice(i * dim, (i + 1) * dim).join(',')).sort();
      expect(rows(got), `view ${v}`).toEqual(rows(want));
    }
    m.dispose();
  });

  it('starts the next view at the second-to-last batch also for a loader without a length (a plain AsyncIterable)', async () => {
    const m = body();
    const pulled: number[] = [];
    const startedAfter: number[] = [];
    const data: LearnerData = {
      classes: dataset.classes,
      train: dataset.train,
      valid: dataset.valid,
      loader(split, options) {
        startedAfter.push(pulled[pulled.length - 1] ?? 0);
        const run = pulled.push(0) - 1;
        const inner = dataset.loader(split, options);
        return { async *[Symbol.asyncIterator]() { for await (const b of inner) (pulled[run]!++, yield b); } };
      },
    };
    const batches = Math.ceil(dataset.train.length / 4);
    expect(batches).toBeGreaterThan(2);
    await FeatureCache.build(data, m, { views: 2, size: 16, batchSize: 4, normalize: imagenetStats, bodyVersion: 0, seed: 5 });
    // View 1 and then the validation run begin while the run before them has its last batch to go.
    expect(startedAfter).toEqual([0, batches - 1, batches - 1]);
    m.dispose();
  });

  it('stops at a broken image in a view\'s last batch with its ImageLoadError, and the next view, already started, leaves no tensors', async () => {
    const root = await makeImageFolder({ perClass: 7, size: 24 });
    const ds = await ImageDataset.fromFolder(root, { validPct: 0.25, seed: 2, size: 16 });
    const broken = ds.train[ds.train.length - 1]!.file;
    await writeFile(broken, 'not an image');
    const m = body();
    const tensors = tf.memory().numTensors;
    await expect(FeatureCache.build(ds, m, { views: 2, size: 16, batchSize: 4, normalize: imagenetStats, bodyVersion: 0, seed: 5 })).rejects.toMatchObject({ name: 'ImageLoadError', file: broken });
    // The next view's loader had its first batch on the way: once it lands it must be freed, not held.
    await new Promise((r) => setTimeout(r, 300));
    expect(tf.memory().numTensors).toBe(tensors);
    m.dispose();
    await rm(root, { recursive: true, force: true });
  });
});
