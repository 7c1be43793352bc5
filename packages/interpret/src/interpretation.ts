import type { Preds } from './types.js';

export interface ConfusedPair {
  actual: string;
  predicted: string;
  count: number;
}

export interface TopLoss {
  /** Index into `preds.items`. */
  index: number;
  item: string;
  actual: string;
  predicted: string;
  loss: number;
  /** Probability of the predicted class. */
  probability: number;
}

export interface ClassReport {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  /** Items whose actual class this is. */
  support: number;
}

/** Something with the core's getPreds (a Learner). */
export interface HasGetPreds {
  getPreds(options: { split: 'train' | 'valid' | 'all'; withLoss?: boolean; withFeatures?: boolean }): Promise<Preds>;
}

/** Something with the core's ExportedModel.getPreds(dataset, ...). */
export interface ExportedLike<D> {
  getPreds(dataset: D, options: { withLoss?: boolean; withFeatures?: boolean }): Promise<Preds>;
}

/** fastai's ClassificationInterpretation over per-item predictions. */
export class ClassificationInterpretation {
  readonly predicted: Int32Array;
  readonly losses: Float32Array;

  constructor(readonly preds: Preds) {
    const n = preds.items.length;
    const c = preds.classes.length;
    if (preds.probs.length !== n * c || preds.targets.length !== n) throw new RangeError(`preds: ${n} items need ${n * c} probabilities and ${n} targets`);
    this.predicted = new Int32Array(n);
    this.losses = preds.losses ?? new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < c; k++) if (preds.probs[i * c + k]! > preds.probs[i * c + best]!) best = k;
      this.predicted[i] = best;
      if (!preds.losses) this.losses[i] = -Math.log(Math.max(1e-7, preds.probs[i * c + preds.targets[i]!]!));
    }
  }

  /** From a learner's own predictions on a split (default 'valid'). */
  static async fromLearner(learner: HasGetPreds, options: { split?: 'train' | 'valid' | 'all' } = {}): Promise<ClassificationInterpretation> {
    return new ClassificationInterpretation(await learner.getPreds({ split: options.split ?? 'valid', withLoss: true }));
  }

  /** From an exported model run over a labelled dataset. */
  static async fromExport<D>(model: ExportedLike<D>, dataset: D): Promise<ClassificationInterpretation> {
    return new ClassificationInterpretation(await model.getPreds(dataset, { withLoss: true }));
  }

  get classes(): string[] {
    return this.preds.classes;
  }

  /** c x c counts: rows = actual, columns = predicted. */
  confusionMatrix(): number[][] {
    const c = this.classes.length;
    const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
    this.preds.targets.forEach((t, i) => m[t]![this.predicted[i]!]!++);
    return m;
  }

  /** Off-diagonal cells with at least minCount items, most frequent first. */
  mostConfused(minCount = 1): ConfusedPair[] {
    const m = this.confusionMatrix();
    const out: ConfusedPair[] = [];
    m.forEach((row, a) => row.forEach((count, p) => {
      if (a !== p && count >= minCount) out.push({ actual: this.classes[a]!, predicted: this.classes[p]!, count });
    }));
    return out.sort((x, y) => y.count - x.count || x.actual.localeCompare(y.actual) || x.predicted.localeCompare(y.predicted));
  }

  /** The k items with the largest loss. */
  topLosses(k = 9): TopLoss[] {
    const c = this.classes.length;
    const order = Array.from(this.losses.keys()).sort((a, b) => this.losses[b]! - this.losses[a]! || a - b);
    return order.slice(0, k).map((i) => ({
      index: i,
      item: this.preds.items[i]!.id,
      actual: this.classes[this.preds.targets[i]!]!,
      predicted: this.classes[this.predicted[i]!]!,
      loss: this.losses[i]!,
      probability: this.preds.probs[i * c + this.predicted[i]!]!,
    }));
  }

  /** Per-class precision, recall and F1 (0 where undefined). */
  classReport(): ClassReport[] {
    const m = this.confusionMatrix();
    return this.classes.map((name, k) => {
      const tp = m[k]![k]!;
      const support = m[k]!.reduce((a, b) => a + b, 0);
      const predictedK = m.reduce((a, row) => a + row[k]!, 0);
      const precision = predictedK ? tp / predictedK : 0;
      const recall = support ? tp / support : 0;
      const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
      return { class: name, precision, recall, f1, support };
    });
  }

  /** Fraction predicted correctly. */
  accuracy(): number {
    let ok = 0;
    this.preds.targets.forEach((t, i) => (ok += t === this.predicted[i] ? 1 : 0));
    return this.preds.targets.length ? ok / this.preds.targets.length : 0;
  }
}

/** The confusion matrix as a text table (rows actual, columns predicted). */
export function formatConfusion(classes: string[], m: number[][]): string {
  const w = Math.max(8, ...classes.map((c) => c.length)) + 1;
  const head = 'actual \\ predicted'.padEnd(w + 4) + classes.map((c) => c.padStart(w)).join('');
  return [head, ...m.map((row, i) => classes[i]!.padEnd(w + 4) + row.map((v) => String(v).padStart(w)).join(''))].join('\n');
}
