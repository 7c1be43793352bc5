import { beforeAll, describe, expect, it } from 'vitest';
import { ImageDataset } from '@bears/data/node';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { cnnLearner } from './cnn-learner.js';
import { loadLearner } from './export-node.js';
import { inceptionStats } from './normalization.js';
import { BEARS_DIR, MOBILENET_DIR, tempDir, wasm } from './test-support/fixtures.js';

/** The first n images of each class of ../shared/data/bears, as symlinks in a temp folder. */
async function bearsSubset(perClass: number): Promise<string> {
  const root = await tempDir('bears-learner-e2e-');
  for (const cls of ['black', 'grizzly', 'teddy']) {
    await mkdir(path.join(root, cls));
    // Thumbnails (am_*) decode fast and keep this test short.
    const files = (await readdir(path.join(BEARS_DIR, cls))).filter((f) => f.startsWith('am_')).sort().slice(0, perClass);
    for (const f of files) await symlink(path.join(BEARS_DIR, cls, f), path.join(root, cls, f));
  }
  return root;
}

beforeAll(async () => {
  await wasm();
});

describe('end to end on real bears with the real MobileNet body', () => {
  it('trains the head frozen at 96 px, exports, reloads and predicts', async () => {
    const root = await bearsSubset(16);
    const ds = await ImageDataset.fromFolder(root, { validPct: 0.25, seed: 42, size: 96 });
    const lines: string[] = [];
    // Seeded (head init, dropout): the figures below do not depend on luck.
    const learn = await cnnLearner(ds, { pretrained: MOBILENET_DIR, batchSize: 8, cacheViews: 1, seed: 42, modelDir: await tempDir(), log: (l) => lines.push(l) });
    expect(learn.normalize).toEqual(inceptionStats);
    const res = await learn.fitOneCycle(3, 3e-3);
    expect(res.epochs.length).toBe(3);
    const last = res.epochs[2]!;
    // Pretrained ImageNet features separate the bears well even at 96 px on 36 training images.
    expect(last.metrics.error_rate).toBeLessThanOrEqual(0.34);
    expect(lines.some((l) => /^2\s+\d\.\d{6}/.test(l))).toBe(true);
    const out = path.join(await tempDir(), 'bear-model');
    await learn.export(out);
    const clf = await loadLearner(out);
    expect(clf.classes).toEqual(['black', 'grizzly', 'teddy']);
    const files = ds.valid.map((i) => i.file);
    const preds = await clf.predictBatch(files);
    const direct = await learn.predictBatch(files);
    preds.forEach((p, i) => {
      expect(p.label).toBe(direct[i]!.label);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    });
    const correct = preds.filter((p, i) => p.index === ds.valid[i]!.label).length;
    expect(correct / preds.length).toBeCloseTo(1 - last.metrics.error_rate!, 5);
    clf.dispose();
    learn.dispose();
  });
});
