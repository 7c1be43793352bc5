import { beforeAll, describe, expect, it } from 'vitest';
import { ImageDataset } from '@bears/data/node';
import path from 'node:path';
import { cnnLearner } from './cnn-learner.js';
import { makeImageFolder, tempDir, wasm } from './test-support/fixtures.js';

beforeAll(async () => {
  await wasm();
});

describe('ResNet from scratch', () => {
  it('trains resnet18 unfrozen (batch-statistics BN), exports, and starts a new learner from that export', async () => {
    const root = await makeImageFolder({ perClass: 6, size: 32 });
    const ds = await ImageDataset.fromFolder(root, { validPct: 0.25, seed: 1, size: 32 });
    const lines: string[] = [];
    const learn = await cnnLearner(ds, { arch: 'resnet18', pretrained: false, batchSize: 6, modelDir: await tempDir(), log: (l) => lines.push(l) });
    learn.unfreeze();
    const bn = learn.body.model.getLayer('stem_bn');
    const meanBefore = Array.from(bn.getWeights()[2]!.dataSync());
    const res = await learn.fitOneCycle(1, 1e-3);
    expect(res.epochs.length).toBe(1);
    // From scratch, body BN runs on batch statistics and its running mean moves.
    expect(Array.from(bn.getWeights()[2]!.dataSync())).not.toEqual(meanBefore);
    const out = path.join(await tempDir(), 'r18');
    await learn.export(out);
    const again = await cnnLearner(ds, { arch: 'resnet18', pretrained: out, log: () => {} });
    const a = learn.body.model.getLayer('stage4_1_2_conv').getWeights()[0]!.dataSync();
    const b = again.body.model.getLayer('stage4_1_2_conv').getWeights()[0]!.dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    learn.dispose();
    again.dispose();
  }, 180_000); // 11M parameters initialised twice: slow on a loaded 2-core machine
});
