import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ImageDataset } from '@bears/data';
import { cnnLearner } from './learner.js';
import { customArch } from './archs.js';
import { unitStats } from './normalization.js';
import { quietChannelCount, quietChannelMasks } from './bn-guard.js';
import { makeImageFolder, makeTinyModelFolder, wasm } from './test-support/fixtures.js';

let dataset: ImageDataset;
let modelDir = '';

beforeAll(async () => {
  await wasm();
  dataset = await ImageDataset.fromFolder(await makeImageFolder({ perClass: 8, size: 40 }), { validPct: 0.25, seed: 1, size: 32 });
  modelDir = await makeTinyModelFolder();
});

describe('quiet batch-norm channels', () => {
  it('hold still while the body trains on frozen BN statistics: their kernel slice and gamma/beta, nothing else', async () => {
    const learn = await cnnLearner(dataset, { arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8, log: () => {}, seed: 3, quietBnVariance: 1e-4 });
    // Channel 2 of bn1 (fed by conv c1) and channel 5 of bn2 (fed by c2) get an almost zero running variance.
    for (const [name, ch] of [['bn1', 2], ['bn2', 5]] as const) {
      const l = learn.body.model.getLayer(name);
      const [g, b, m, v] = l.getWeights();
      const vv = v!.arraySync() as number[];
      vv[ch] = 1e-6;
      l.setWeights([g!, b!, m!, tf.tensor1d(vv)]);
    }
    expect(quietChannelCount(learn.body.model, 1e-4)).toBe(2);
    const masks = quietChannelMasks(learn.body.model, 1e-4);
    expect(masks.size).toBe(6); // two kernels, two gammas, two betas
    masks.forEach((m) => m.dispose());
    expect(quietChannelMasks(learn.body.model, 0).size).toBe(0);

    const kernel = (name: string) => learn.body.model.getLayer(name).getWeights()[0]!.arraySync() as number[][][][];
    const bnW = (name: string) => learn.body.model.getLayer(name).getWeights().slice(0, 2).map((w) => w.arraySync() as number[]);
    const before = { c1: kernel('c1'), c2: kernel('c2'), bn1: bnW('bn1'), bn2: bnW('bn2') };
    learn.unfreeze();
    const tensors = tf.memory().numTensors;
    await learn.fitOneCycle(1, 1e-2);
    const after = { c1: kernel('c1'), c2: kernel('c2'), bn1: bnW('bn1'), bn2: bnW('bn2') };
    const slice = (k: number[][][][], out: number) => k.flat(2).map((row) => row[out]!);
    expect(slice(after.c1, 2)).toEqual(slice(before.c1, 2));
    expect(slice(after.c1, 3)).not.toEqual(slice(before.c1, 3));
    expect(slice(after.c2, 5)).toEqual(slice(before.c2, 5));
    expect(slice(after.c2, 4)).not.toEqual(slice(before.c2, 4));
    for (const i of [0, 1]) {
      expect(after.bn1[i]![2]).toBe(before.bn1[i]![2]);
      expect(after.bn1[i]![3]).not.toBe(before.bn1[i]![3]);
      expect(after.bn2[i]![5]).toBe(before.bn2[i]![5]);
    }
    // The masks are built once: memory stays flat apart from the optimizer's slots and the masks.
    const extra = tf.memory().numTensors - tensors;
    await learn.fitOneCycle(1, 1e-2);
    expect(tf.memory().numTensors - tensors).toBe(extra);
    learn.dispose();
  });
});
