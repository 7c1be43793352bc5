import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ImageDataset } from '@bears/data/node';
import { imagenetStats } from '@bears/data';
import { FeatureCache } from './feature-cache.js';
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
});
