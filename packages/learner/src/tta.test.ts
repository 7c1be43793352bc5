import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ImageDataset } from '@bears/data/node';
import path from 'node:path';
import { cnnLearner } from './cnn-learner.js';
import { customArch } from './archs.js';
import { loadLearner } from './export-node.js';
import { unitStats } from './normalization.js';
import { tta, ttaMix } from './tta.js';
import { makeImageFolder, makeTinyModelFolder, tempDir, wasm } from './test-support/fixtures.js';

let dataset: ImageDataset;
let modelDir = '';

beforeAll(async () => {
  await wasm();
  dataset = await ImageDataset.fromFolder(await makeImageFolder({ perClass: 12, size: 40 }), { validPct: 0.25, seed: 1, size: 32 });
  modelDir = await makeTinyModelFolder();
});

describe('ttaMix', () => {
  it("is fastai's lerp(mean of the augmented views, plain view, beta)", () => {
    const plain = Float32Array.from([1, 0]);
    const mixed = ttaMix(plain, [Float32Array.from([0, 1]), Float32Array.from([0.5, 0.5])], 0.25);
    expect(mixed[0]).toBeCloseTo(0.25 * 1 + 0.75 * 0.25, 6);
    expect(mixed[1]).toBeCloseTo(0.25 * 0 + 0.75 * 0.75, 6);
    expect(Array.from(ttaMix(plain, [], 0.25))).toEqual([1, 0]);
    expect(() => ttaMix(plain, [Float32Array.from([1])])).toThrow(/views of different sizes/);
  });
});

describe('tta on the validation set and in predict', () => {
  it('averages augmented views with the plain one; beta 1 is plain validation; predict repeats and checks its input', async () => {
    const learn = await cnnLearner(dataset, { arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8, log: () => {}, seed: 3 });
    await learn.fitOneCycle(2, 1e-2);
    const tensors = tf.memory().numTensors;
    const plain = await learn.validate();
    const onlyPlain = await tta(learn, { n: 2, beta: 1 });
    expect(onlyPlain.targets.length).toBe(dataset.valid.length);
    expect(onlyPlain.loss).toBeCloseTo(plain.loss, 4);
    expect(onlyPlain.metrics.error_rate).toBeCloseTo(plain.metrics.error_rate!, 6);
    const mixed = await tta(learn, { n: 2 });
    expect(mixed.probs.length).toBe(dataset.valid.length * 3);
    expect(Array.from(mixed.probs)).not.toEqual(Array.from(onlyPlain.probs));
    for (let i = 0; i < mixed.targets.length; i++) expect(mixed.probs[i * 3]! + mixed.probs[i * 3 + 1]! + mixed.probs[i * 3 + 2]!).toBeCloseTo(1, 5);
    expect(tf.memory().numTensors).toBe(tensors);
    await expect(tta(learn, { n: 0 })).rejects.toThrow(/n must be a positive integer/);

    const out = path.join(await tempDir(), 'model');
    await learn.export(out);
    const clf = await loadLearner(out);
    const file = dataset.valid[0]!.file;
    const base = await clf.predict(file);
    expect((await clf.predict(file, { tta: { beta: 1 } })).probabilities.map((p) => p.toFixed(5))).toEqual(base.probabilities.map((p) => p.toFixed(5)));
    const a = await clf.predict(file, { tta: true });
    const b = await clf.predictBatch([file], { tta: true });
    expect(a.probabilities).toEqual(b[0]!.probabilities);
    expect(a.probabilities).not.toEqual(base.probabilities);
    expect(a.probabilities.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    const t = tf.fill([40, 40, 3], 128) as tf.Tensor3D;
    await expect(clf.predict(t, { tta: true })).rejects.toThrow(/pass encoded image bytes or \(Node\) a file path/);
    t.dispose();
    clf.dispose();
    learn.dispose();
  });
});
