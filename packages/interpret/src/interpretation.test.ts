import { describe, expect, it } from 'vitest';
import { ClassificationInterpretation, formatConfusion } from './interpretation.js';
import type { Preds } from './types.js';

// 6 items, classes a b c. Predictions: a->a, a->b, b->b, b->b, c->a, c->b.
const preds: Preds = {
  items: ['a/1', 'a/2', 'b/1', 'b/2', 'c/1', 'c/2'].map((id) => ({ id, label: id[0]!, split: 'valid' as const })),
  classes: ['a', 'b', 'c'],
  probs: Float32Array.from([0.8, 0.1, 0.1, 0.3, 0.6, 0.1, 0.1, 0.8, 0.1, 0.2, 0.7, 0.1, 0.5, 0.2, 0.3, 0.1, 0.85, 0.05]),
  targets: Int32Array.from([0, 0, 1, 1, 2, 2]),
};

describe('ClassificationInterpretation', () => {
  const interp = new ClassificationInterpretation(preds);

  it('confusion matrix (rows actual, columns predicted) and most confused', () => {
    expect(interp.confusionMatrix()).toEqual([[1, 1, 0], [0, 2, 0], [1, 1, 0]]);
    expect(interp.mostConfused()).toEqual([
      { actual: 'a', predicted: 'b', count: 1 },
      { actual: 'c', predicted: 'a', count: 1 },
      { actual: 'c', predicted: 'b', count: 1 },
    ]);
    expect(interp.mostConfused(2)).toEqual([]);
    expect(interp.accuracy()).toBeCloseTo(3 / 6);
  });

  it('top losses: largest -log p(actual) first, with predicted class and its probability', () => {
    const top = interp.topLosses(2);
    expect(top.map((t) => t.item)).toEqual(['c/2', 'a/2']); // a/2 and c/1 tie (p = 0.3): item order breaks it
    expect(top[0]).toMatchObject({ actual: 'c', predicted: 'b', loss: expect.closeTo(-Math.log(0.05), 4), probability: expect.closeTo(0.85, 5) });
  });

  it('per-class precision, recall and F1', () => {
    const r = interp.classReport();
    expect(r[0]).toMatchObject({ class: 'a', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r[1]).toMatchObject({ class: 'b', precision: 0.5, recall: 1, support: 2 });
    expect(r[1]!.f1).toBeCloseTo(2 / 3);
    expect(r[2]).toMatchObject({ class: 'c', precision: 0, recall: 0, f1: 0 });
  });

  it('fromLearner and fromExport ask the core for predictions with losses', async () => {
    const calls: unknown[] = [];
    const a = await ClassificationInterpretation.fromLearner({ getPreds: async (o) => (calls.push(o), preds) }, { split: 'valid' });
    const b = await ClassificationInterpretation.fromExport({ getPreds: async (d: string, o) => (calls.push([d, o]), preds) }, 'data');
    expect(calls).toEqual([{ split: 'valid', withLoss: true }, ['data', { withLoss: true }]]);
    expect(a.confusionMatrix()).toEqual(b.confusionMatrix());
  });

  it('formats the confusion matrix as a table and rejects inconsistent preds', () => {
    expect(formatConfusion(['a', 'b', 'c'], interp.confusionMatrix()).split('\n')[1]).toMatch(/^a\s+1\s+1\s+0$/);
    expect(() => new ClassificationInterpretation({ ...preds, targets: Int32Array.from([0]) })).toThrow(/6 targets/);
  });
});
