import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ImageDataset } from '@bears/data/node';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { customArch } from './archs.js';
import { cnnLearner } from './cnn-learner.js';
import { loadLearner } from './export-node.js';
import { createHead } from './head.js';
import { foldHeads } from './head-ensemble.js';
import { unitStats } from './normalization.js';
import { makeImageFolder, makeTinyModelFolder, tempDir, wasm } from './test-support/fixtures.js';

beforeAll(async () => {
  await wasm();
});

/** Random weights everywhere, batch-norm statistics included (a fresh head has mean 0, variance 1: too easy). */
function randomize(head: tfl.Sequential, seed: number): void {
  for (const layer of head.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const isBn = layer.getClassName() === 'BatchNormalization';
    layer.setWeights(
      ws.map((w, i) =>
        isBn && (i === 0 || i === 3) ? tf.randomUniform(w.shape, 0.3, 2.5, 'float32', seed + i) : tf.randomNormal(w.shape, 0, isBn ? 1 : 0.3, 'float32', seed + i),
      ),
    );
  }
}

describe('foldHeads', () => {
  it("gives one head whose logits are the mean of the K heads' logits (inference mode)", () => {
    const k = 3;
    const members = Array.from({ length: k }, (_, i) => createHead(20, 4, { hidden: 8, seed: 10 + i }));
    members.forEach((m, i) => randomize(m, 100 * (i + 1)));
    const target = createHead(20, 4, { hidden: 8 * k, seed: 1 });
    foldHeads(members, target);
    const x = tf.randomNormal([32, 20], 0.5, 2, 'float32', 5);
    const folded = target.apply(x, { training: false }) as tf.Tensor;
    const mean = tf.div(tf.addN(members.map((m) => m.apply(x, { training: false }) as tf.Tensor)), k);
    const diff = tf.max(tf.abs(tf.sub(folded, mean))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-4);
    // The members differ, so the test can tell a fold from a copy of one of them.
    const one = members[0]!.apply(x, { training: false }) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(one, mean))).dataSync()[0]!).toBeGreaterThan(0.1);
    tf.dispose([x, folded, mean, one]);
  });

  it('refuses a target of the wrong width', () => {
    const members = [createHead(6, 2, { hidden: 4 }), createHead(6, 2, { hidden: 4 })];
    expect(() => foldHeads(members, createHead(6, 2, { hidden: 4 }))).toThrow(/8/);
  });
});

describe('a learner with heads: 3', () => {
  it('trains three heads in the frozen phase, folds them into one wide head, exports and loads it', async () => {
    const root = await makeImageFolder({ perClass: 12, size: 40 });
    const data = await ImageDataset.fromFolder(root, { validPct: 0.25, seed: 1, size: 32 });
    const lines: string[] = [];
    const learn = await cnnLearner(data, { arch: customArch({ source: await makeTinyModelFolder(), cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8, seed: 3, heads: 3, log: (l) => lines.push(l) });
    try {
      expect((learn.head.layers[2] as unknown as { units: number }).units).toBe(3 * 512);
      const res = await learn.fitOneCycle(2, 1e-2);
      expect(res.epochs).toHaveLength(2);
      expect(res.ensemble?.heads).toBe(3);
      expect(lines.some((l) => /^head 3 of 3: /.test(l))).toBe(true);
      expect(lines.some((l) => /^ensemble of 3 heads, folded into one head: valid_loss/.test(l))).toBe(true);
      // What the learner reports is the folded head itself.
      const v = await learn.validate();
      expect(v.loss).toBeCloseTo(res.ensemble!.loss, 5);
      expect(learn.epochsTrained).toBe(2);
      // The unfrozen phase trains the folded head as one network (no member training any more).
      learn.unfreeze();
      const un = await learn.fitOneCycle(1, [1e-5, 1e-4]);
      expect(un.ensemble).toBeUndefined();
      const out = path.join(await tempDir(), 'model');
      await learn.export(out);
      const json = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8'));
      expect(JSON.stringify(json.modelTopology)).toContain('"units":1536');
      const files = data.valid.map((i) => i.file);
      const expected = await learn.predictBatch(files);
      const loaded = await loadLearner(out);
      (await loaded.predictBatch(files)).forEach((g, i) => g.probabilities.forEach((p, j) => expect(p).toBeCloseTo(expected[i]!.probabilities[j]!, 5)));
      loaded.dispose();
    } finally {
      learn.dispose();
    }
  });

  it('with heads: 1 trains exactly the single head (head 1 of an ensemble is that head)', async () => {
    const root = await makeImageFolder({ perClass: 8, size: 40 });
    const data = await ImageDataset.fromFolder(root, { validPct: 0.25, seed: 1, size: 32 });
    const arch = customArch({ source: await makeTinyModelFolder(), cut: 'feat', normalize: unitStats, inputSize: 32 });
    const one = await cnnLearner(data, { arch, batchSize: 8, seed: 5, log: () => {} });
    const lines: string[] = [];
    const two = await cnnLearner(data, { arch, batchSize: 8, seed: 5, heads: 2, log: (l) => lines.push(l) });
    try {
      const a = await one.fitOneCycle(2, 1e-2);
      const b = await two.fitOneCycle(2, 1e-2);
      // Head 1's table (the learner's recorder) is the single-head run's, step for step.
      b.epochs.forEach((r, i) => expect(r.validLoss).toBeCloseTo(a.epochs[i]!.validLoss, 5));
      expect(two.recorder.losses).toHaveLength(one.recorder.losses.length);
      two.recorder.losses.forEach((l, i) => expect(l).toBeCloseTo(one.recorder.losses[i]!, 5));
    } finally {
      one.dispose();
      two.dispose();
    }
  });
});
