import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImageDataset } from '@bears/data/node';
import { loadLearner } from '@bears/learner/node';
import { ClassificationInterpretation } from './interpretation.js';
import { ClassMismatchError, analyzeFolder, rankFolder, writeInterpretation } from './node.js';
import { tempDir, tinyExport } from './test-support/tiny-model.js';

let fx: Awaited<ReturnType<typeof tinyExport>>;
beforeAll(async () => {
  fx = await tinyExport();
}, 120_000);

describe('@bears/interpret/node on a tiny exported model', () => {
  it('ranks the planted cross-class copy first, finds the duplicates, and writes plots and the ranking', async () => {
    const before = tf.memory().numTensors;
    const a = await analyzeFolder(fx.modelDir, fx.dataDir);
    const top = a.ranking.items.slice(0, 3).map((i) => i.file);
    expect(top).toContain(fx.mislabeled);
    const bad = a.ranking.items.find((i) => i.file === fx.mislabeled)!;
    expect(bad.reasons).toContain('exact duplicate of blue/3.png (labelled blue)');
    expect(bad.suggested).toBe('blue');
    expect(a.ranking.duplicates).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'exact', files: ['blue/3.png', 'red/from-blue.png'], crossClass: true }),
      expect.objectContaining({ kind: 'exact', files: ['green/5.png', 'green/copy-of-5.png'], crossClass: false }),
    ]));
    expect(a.ranking.items).toHaveLength(38);
    expect(a.interp.preds.items.every((i) => i.split === 'valid')).toBe(true);

    const out = path.join(await tempDir('bears-interpret-out-'), 'interp');
    const files = await writeInterpretation(a, out, { topK: 4 });
    a.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['confusion_matrix.png', 'duplicates.png', 'ranking.csv', 'ranking.json', 'top_losses.png']);
    for (const png of ['confusion_matrix.png', 'top_losses.png', 'duplicates.png']) {
      const meta = await sharp(path.join(out, png)).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width!).toBeGreaterThan(300);
    }
    const json = JSON.parse(await readFile(path.join(out, 'ranking.json'), 'utf8'));
    expect(json).toMatchObject({ version: 1, classes: ['blue', 'green', 'red'] });
    expect(Object.keys(json).sort()).toEqual(['classes', 'createdAt', 'duplicates', 'items', 'model', 'version']);
    const csv = (await readFile(path.join(out, 'ranking.csv'), 'utf8')).split('\n');
    expect(csv[0]).toBe('file,label,suggested,score,reasons,split');
    expect(csv).toHaveLength(38 + 2);
  });

  it('ClassificationInterpretation.fromExport runs the core getPreds of a loaded export', async () => {
    const model = await loadLearner(fx.modelDir);
    const ds = await ImageDataset.fromFolder(fx.dataDir, { validPct: 0.2, seed: 42 });
    const interp = await ClassificationInterpretation.fromExport(model, ds);
    model.dispose();
    expect(interp.preds.items).toHaveLength(ds.valid.length);
    expect(interp.confusionMatrix().flat().reduce((a, b) => a + b, 0)).toBe(ds.valid.length);
    expect(interp.preds.losses).toBeDefined();
    expect(interp.topLosses(3)[0]!.loss).toBeGreaterThanOrEqual(interp.topLosses(3)[2]!.loss);
  });

  it('rankFolder gives the DatasetRanking the cleaner reads', async () => {
    const r = await rankFolder(fx.modelDir, fx.dataDir);
    expect(r.version).toBe(1);
    expect(r.items[0]).toEqual({ file: expect.any(String), label: expect.any(String), split: expect.stringMatching(/train|valid/), suggested: expect.any(String), score: expect.any(Number), reasons: expect.any(Array), signals: expect.any(Object) });
    expect(r.model?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a folder of other classes and an unreadable image, before writing anything', async () => {
    const other = await tempDir('bears-interpret-other-');
    for (const c of ['cat', 'dog']) {
      await mkdir(path.join(other, c));
      await cp(path.join(fx.dataDir, 'red', '1.png'), path.join(other, c, '1.png'));
    }
    await expect(analyzeFolder(fx.modelDir, other)).rejects.toThrow(ClassMismatchError);
    await expect(analyzeFolder(fx.modelDir, other)).rejects.toThrow(/trained on blue, green, red, but .* has class folder\(s\) cat, dog/);
    const broken = await tempDir('bears-interpret-broken-');
    await cp(fx.dataDir, broken, { recursive: true });
    await writeFile(path.join(broken, 'green', 'zz-broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    await expect(analyzeFolder(fx.modelDir, broken)).rejects.toThrow(/zz-broken\.png/);
    await expect(analyzeFolder(fx.modelDir, path.join(broken, 'nope'))).rejects.toThrow(/nope/);
    expect(existsSync(path.join(broken, 'interp'))).toBe(false);
  });
});
