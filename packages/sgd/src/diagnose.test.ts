import { describe, expect, it } from 'vitest';
import { diagnoseHistory, type HistoryRow } from './diagnose.js';

const rows = (train: number[], valid: number[], error?: number[], lr?: number): HistoryRow[] =>
  train.map((t, i) => ({ epoch: i, trainLoss: t, validLoss: valid[i]!, ...(error ? { errorRate: error[i]! } : {}), ...(lr ? { lr } : {}) }));

describe('diagnoseHistory', () => {
  it('finds nothing wrong in a healthy run', () => {
    const h = rows([0.9, 0.5, 0.3, 0.2], [0.4, 0.3, 0.25, 0.24], [0.1, 0.07, 0.06, 0.055]);
    expect(diagnoseHistory(h)).toEqual([]);
  });

  it("learning rate too high: the lesson's fit_one_cycle(1, max_lr=0.5)", () => {
    const h = [{ epoch: 1, train_loss: 12.220007, valid_loss: 1144188288, error_rate: 0.765957, lr: 0.5 }];
    const [f, ...rest] = diagnoseHistory(h);
    expect(rest).toEqual([]);
    expect(f!.kind).toBe('lr-too-high');
    expect(f!.epoch).toBe(1);
    expect(f!.message).toMatch(/validation loss exploded to 1\.14e\+9/);
    expect(f!.message).toMatch(/at lr 5\.0e-1/);
    expect(f!.message).toMatch(/too late/);
    expect(f!.advice).toMatch(/lower learning rate/);
  });

  it('learning rate too high: a validation loss that explodes mid-run, or a NaN loss', () => {
    const h = rows([0.8, 0.5, 3.2, 9.5], [0.4, 0.3, 41.7, 1e6], [0.1, 0.08, 0.6, 0.7]);
    const f = diagnoseHistory(h);
    expect(f.map((x) => x.kind)).toEqual(['lr-too-high']);
    expect(f[0]!.epoch).toBe(2);
    expect(diagnoseHistory(rows([0.8, Number.NaN], [0.4, Number.NaN]))[0]!.kind).toBe('lr-too-high');
  });

  it("learning rate too low: the lesson's fit_one_cycle(5, max_lr=1e-5)", () => {
    const h = rows([1.349151, 1.373262, 1.346169, 1.334486, 1.320978], [1.062807, 1.045115, 1.006288, 0.978713, 0.978108], [0.609929, 0.546099, 0.485816, 0.453901, 0.446809], 1e-5);
    const f = diagnoseHistory(h);
    expect(f.map((x) => x.kind)).toEqual(['lr-too-low']);
    expect(f[0]!.message).toMatch(/improved very slowly \(0\.6099 -> 0\.4468\)/);
    expect(f[0]!.message).toMatch(/still above the validation loss/);
    expect(f[0]!.advice).toMatch(/higher learning rate/);
    expect(f[0]!.advice).toMatch(/too many looks at each image/);
  });

  it("too few epochs: the lesson's fit_one_cycle(1)", () => {
    const f = diagnoseHistory([{ epoch: 0, trainLoss: 0.602823, validLoss: 0.119616, errorRate: 0.049645 }]);
    expect(f.map((x) => x.kind)).toEqual(['too-few-epochs']);
    expect(f[0]!.message).toMatch(/after 1 epoch the training loss \(0\.6028\) is still above the validation loss \(0\.1196\)/);
    expect(f[0]!.advice).toMatch(/more epochs/);
  });

  it('too few epochs: training loss falling fast but still above validation loss', () => {
    const f = diagnoseHistory(rows([1.0, 0.6, 0.4], [0.3, 0.25, 0.22], [0.1, 0.08, 0.07]));
    expect(f.map((x) => x.kind)).toEqual(['too-few-epochs']);
  });

  it('too many epochs: the error rate improves, then gets worse', () => {
    const h = rows([0.8, 0.4, 0.2, 0.1, 0.05, 0.02, 0.01], [0.35, 0.25, 0.2, 0.19, 0.22, 0.27, 0.33], [0.1, 0.06, 0.04, 0.035, 0.04, 0.05, 0.06]);
    const f = diagnoseHistory(h);
    expect(f.map((x) => x.kind)).toEqual(['too-many-epochs']);
    expect(f[0]!.epoch).toBe(3);
    expect(f[0]!.message).toMatch(/improved from 0\.1000 to 0\.0350 at epoch 3, then got worse, 0\.0600 at epoch 6/);
    expect(f[0]!.message).toMatch(/overfitting/);
    expect(f[0]!.advice).toMatch(/fewer epochs \(about 4 here\)/);
  });

  it('does not call noise overfitting, nor a training loss below the validation loss', () => {
    const h = rows([0.5, 0.2, 0.1, 0.05], [0.3, 0.2, 0.19, 0.2], [0.05, 0.04, 0.035, 0.036]);
    expect(diagnoseHistory(h)).toEqual([]);
  });

  it('falls back to accuracy or the validation loss when there is no error rate', () => {
    const acc = rows([0.8, 0.4, 0.2, 0.1, 0.05], [0.35, 0.25, 0.2, 0.25, 0.3]).map((r, i) => ({ ...r, accuracy: [0.9, 0.94, 0.96, 0.93, 0.9][i]! }));
    const f = diagnoseHistory(acc);
    expect(f[0]!.kind).toBe('too-many-epochs');
    expect(f[0]!.message).toMatch(/error rate improved from 0\.1000 to 0\.0400/);
    const loss = diagnoseHistory(rows([0.8, 0.4, 0.2, 0.1, 0.05], [0.35, 0.25, 0.2, 0.25, 0.3]));
    expect(loss[0]!.kind).toBe('too-many-epochs');
    expect(loss[0]!.message).toMatch(/validation loss improved/);
  });

  it('accepts { epochs } and metrics objects, and rejects bad input', () => {
    const f = diagnoseHistory({ epochs: [{ trainLoss: 0.6, validLoss: 0.1, metrics: { error_rate: 0.05 } }] });
    expect(f[0]!.kind).toBe('too-few-epochs');
    expect(f[0]!.message).toMatch(/error rate 0\.0500/);
    expect(diagnoseHistory([])).toEqual([]);
    expect(() => diagnoseHistory('x' as never)).toThrow(/expected an array of per-epoch records/);
    expect(() => diagnoseHistory([{ trainLoss: 1 } as HistoryRow])).toThrow(/epoch 0 needs numeric trainLoss and validLoss/);
  });
});
