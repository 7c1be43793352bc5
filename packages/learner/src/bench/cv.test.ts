import { describe, expect, it } from 'vitest';
import { customArch } from '../archs.js';
import { unitStats } from '../normalization.js';
import { makeImageFolder, makeTinyModelFolder, wasm } from '../test-support/fixtures.js';
import { crossValidate, meanLogLoss, meanStd, stratifiedFolds } from './cv.js';

describe('stratifiedFolds', () => {
  const files = ['black', 'grizzly', 'teddy'].flatMap((label, c) => Array.from({ length: 20 + 7 * c }, (_, i) => ({ file: `${label}/${i}.jpg`, label })));

  it('deals every class evenly over k folds, the same way every time and whatever the input order', () => {
    const fold = stratifiedFolds(files, 5, 42);
    expect(fold.every((f) => f >= 0 && f < 5)).toBe(true);
    for (const label of ['black', 'grizzly', 'teddy']) {
      const counts = [0, 1, 2, 3, 4].map((k) => files.filter((f, i) => f.label === label && fold[i] === k).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(stratifiedFolds(files, 5, 42)).toEqual(fold);
    const reversed = [...files].reverse();
    const again = stratifiedFolds(reversed, 5, 42);
    reversed.forEach((f, i) => expect(again[i]).toBe(fold[files.indexOf(f)]));
    expect(stratifiedFolds(files, 5, 7)).not.toEqual(fold);
  });

  it('meanLogLoss is the mean -ln p of each row\'s label, over the rows kept, with p floored', () => {
    const probs = Float32Array.from([0.5, 0.25, 0.25, 0.1, 0.8, 0.1, 0, 0, 1]);
    expect(meanLogLoss(probs, [0, 1, 0], 3, (i) => i < 2)).toBeCloseTo((Math.log(2) - Math.log(0.8)) / 2, 6);
    expect(meanLogLoss(probs, [0, 1, 0], 3)).toBeCloseTo((Math.log(2) - Math.log(0.8) - Math.log(1e-7)) / 3, 5);
    expect(meanLogLoss(probs, [0, 1, 0], 3, () => false)).toBeNaN();
  });

  it('meanStd is the mean and the sample standard deviation', () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanStd([5])).toEqual({ mean: 5, std: 0 });
  });
});

describe('crossValidate', () => {
  it('trains the recipe on k-1 folds and scores the held-out fold, plain and with tta, with and without suspects', async () => {
    await wasm();
    const root = await makeImageFolder({ perClass: 10, size: 40 });
    const modelDir = await makeTinyModelFolder();
    const res = await crossValidate({
      root,
      pretrained: modelDir,
      recipe: { cacheViews: 1, epochs: 1, lr: 1e-2, heads: 2, unfreezeEpochs: 1, lrRange: [1e-4, 1e-3], tta: true, ttaViews: 2 },
      frozenOnly: false,
      folds: 3,
      only: [0, 2],
      suspects: new Set(['red/0.png', 'green/1.png', 'blue/2.png', 'red/3.png']),
      learner: { arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8 },
      size: 32,
    });
    expect(res.map((r) => r.fold)).toEqual([0, 2]);
    for (const r of res) {
      expect(r.valid).toBe(r.fold === 0 ? 12 : 9); // 10 per class dealt over 3 folds: 4, 3, 3
      expect(r.clean).toBeLessThan(r.valid);
      expect(r.clean).toBeGreaterThanOrEqual(r.valid - 4);
      for (const e of [r.errors, r.ttaErrors, r.frozenErrors!]) expect(e).toBeGreaterThanOrEqual(0);
      expect(r.cleanErrors).toBeLessThanOrEqual(r.errors);
      expect(r.seconds).toBeGreaterThan(0);
      // tta is the recipe's: its errors are the recipe's, and the frozen score is kept both ways.
      expect(r.recipeErrors).toBe(r.ttaErrors);
      expect(r.recipeCleanErrors).toBe(r.ttaCleanErrors);
      expect(r.frozenErrors).toBe(r.frozen!.ttaErrors);
      expect(r.unfrozen).toBeUndefined();
    }
    // A recipe without an unfrozen phase, checked against unfreezing it afterwards (the bench's unfreeze check).
    const [check] = await crossValidate({
      root,
      pretrained: modelDir,
      recipe: { cacheViews: 1, epochs: 1, lr: 1e-2, heads: 1, unfreezeEpochs: 0, lrRange: [1e-4, 1e-3], tta: false, ttaViews: 3 },
      unfreezeCheck: { epochs: 1, lrRange: [1e-5, 1e-4], wise: [0, 1] },
      frozenOnly: false,
      folds: 3,
      only: [1],
      suspects: new Set(),
      learner: { arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8 },
      size: 32,
      ttaViews: 1,
    });
    expect(check!.recipeErrors).toBe(check!.errors);
    expect(check!.frozen).toBeUndefined();
    expect(check!.unfrozen!.errors).toBeGreaterThanOrEqual(0);
    expect(check!.unfrozen!.errors).toBeLessThanOrEqual(check!.valid);
    // Weight-space interpolation: alpha 0 is the recipe's model again, alpha 1 the unfrozen one.
    const { errors, cleanErrors, ttaErrors, ttaCleanErrors, logLoss, cleanLogLoss, ttaLogLoss, ttaCleanLogLoss } = check!;
    expect(check!.wise!.map((w) => w.alpha)).toEqual([0, 1]);
    expect(check!.wise![0]!.score).toEqual({ errors, cleanErrors, ttaErrors, ttaCleanErrors, logLoss, cleanLogLoss, ttaLogLoss, ttaCleanLogLoss });
    for (const l of [logLoss, cleanLogLoss, ttaLogLoss, check!.unfrozen!.ttaLogLoss]) expect(l).toBeGreaterThan(0);
    expect(check!.wise![1]!.score).toEqual(check!.unfrozen);
    // The refit: the fine-tuned body frozen again and fresh member heads fitted on its activations, as the recipe's
    // frozen phase fits them (the ensemble's log line comes twice: the recipe's heads, then the refit's).
    const lines: string[] = [];
    const [refit] = await crossValidate({
      root,
      pretrained: modelDir,
      recipe: { cacheViews: 1, epochs: 1, lr: 1e-2, heads: 2, unfreezeEpochs: 0, lrRange: [1e-4, 1e-3], tta: false, ttaViews: 3 },
      unfreezeCheck: { epochs: 1, lrRange: [1e-5, 1e-4], refit: { epochs: 1, lr: 1e-2 } },
      frozenOnly: false,
      folds: 3,
      only: [1],
      suspects: new Set(),
      learner: { arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8, log: (l) => lines.push(l) },
      size: 32,
      ttaViews: 1,
    });
    expect(lines.filter((l) => /^head 1 of 2\b/.test(l))).toHaveLength(2);
    expect(refit!.refit!.errors).toBeGreaterThanOrEqual(0);
    expect(refit!.refit!.errors).toBeLessThanOrEqual(refit!.valid);
    expect(refit!.refit!.ttaLogLoss).toBeGreaterThan(0);
  }, 120_000);
});
