import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { rankingCsv } from './csv.js';
import { rankDataset } from './rank.js';
import { clusters } from './test-support/synthetic.js';
import type { ImageFacts, Preds } from './types.js';


const fact = (i: number, over: Partial<ImageFacts> = {}): ImageFacts => ({
  width: 400, height: 300, pixelHash: `h${i}`, phash: (BigInt(i) * 0x9e3779b97f4a7c15n % (1n << 64n)).toString(16).padStart(16, '0'),
  brightness: 120, darkP95: 200, lightP05: 20, sharpness: 500, entropy: 7, colourfulness: 30, ...over,
});

describe('rankDataset', () => {
  // 90 items in 3 clusters; 6 labels flipped; item 10 far from everything (an outlier);
  // items 20 and 40 the same picture in two classes; item 50 dark.
  const { n, c, d, features, labels, flipped } = clusters({ perClass: 30, flips: 6, d: 32, spread: 1, seed: 3 });
  for (let j = 0; j < d; j++) features[10 * d + j] = j % 2 ? 8 : -8;
  features.set(features.subarray(20 * d, 21 * d), 40 * d);
  const classes = ['a', 'b', 'c'];
  const probs = new Float32Array(n * c).fill(1 / c);
  const preds: Preds = {
    items: Array.from({ length: n }, (_, i) => ({ id: `${classes[labels[i]!]}/${i}.jpg`, label: classes[labels[i]!]!, split: i % 5 === 0 ? 'valid' : 'train' })),
    classes, probs, targets: labels, features, featureDim: d,
  };
  const facts = Array.from({ length: n }, (_, i) => fact(i, i === 40 ? { pixelHash: 'h20', phash: fact(20).phash } : i === 50 ? { darkP95: 30 } : {}));
  let r: ReturnType<typeof rankDataset>;
  beforeAll(async () => {
    await useBackend('wasm', { env: null });
    r = rankDataset(preds, { facts, crossVal: { steps: 100 } });
  });
  const pos = (i: number) => r.items.findIndex((it) => it.file === preds.items[i]!.id);

  it('puts the planted label errors, the outlier and the cross-class duplicate near the top, with reasons', () => {
    for (const i of flipped) {
      expect(pos(i)).toBeLessThan(15);
      expect(r.items[pos(i)]!.reasons.join()).toMatch(/label issue \(confident learning|doubtful label \(out-of-sample/);
    }
    expect(r.labelIssues.filter((f) => flipped.some((i) => preds.items[i]!.id === f)).length).toBeGreaterThanOrEqual(5);
    expect(pos(10)).toBeLessThan(15);
    expect(r.items[pos(10)]!.reasons.join()).toMatch(/outlier in/);
    expect(r.items[pos(40)]!.reasons.join()).toMatch(/exact duplicate of .*\/20\.jpg \(labelled/);
    expect(r.items[pos(50)]!.reasons).toContain('dark');
    expect(r.duplicates.some((g) => g.kind === 'exact' && g.crossClass)).toBe(true);
  });

  it('keeps each signal and its own ranking; scores are 0..1, sorted', () => {
    expect(Object.keys(r.bySignal).sort()).toEqual(['duplicate', 'label', 'loss', 'outlier', 'quality', 'unsure']);
    // The planted outlier, and flipped items (far from the class they are filed in), lead the outlier ranking.
    expect(r.bySignal.outlier!.slice(0, 7)).toContain(preds.items[10]!.id);
    for (let i = 1; i < n; i++) expect(r.items[i]!.score).toBeLessThanOrEqual(r.items[i - 1]!.score);
    expect(r.items.every((it) => it.score >= 0 && it.score <= 1 && Object.keys(it.signals).length === 6)).toBe(true);
    expect(r.version).toBe(1);
    expect(r.items).toHaveLength(n);
  });

  it('writes the CSV with quoting', () => {
    const csv = rankingCsv({ ...r, items: [{ ...r.items[0]!, reasons: ['a, "b"', 'c'] }] });
    expect(csv.split('\n')[0]).toBe('file,label,suggested,score,reasons,split');
    expect(csv.split('\n')[1]).toMatch(/,"a, ""b""; c",(train|valid)$/);
  });
});
