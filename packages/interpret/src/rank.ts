import { findLabelIssues } from './confident-learning.js';
import { findDuplicates, type DuplicateOptions } from './duplicates.js';
import { cosineMatrix, normalizedRows } from './embedding.js';
import { qualityIssues, type QualityThresholds } from './facts.js';
import { crossValProbs, type CrossValOptions } from './kfold.js';
import { knnOutlierScores, percentileRanks, robustZByClass } from './outliers.js';
import type { DatasetRanking, ImageFacts, OnProgress, Preds, RankedItem } from './types.js';

/** How much each signal counts in the combined score (noisy-OR of weight * signal). */
export interface SignalWeights {
  label: number;
  loss: number;
  unsure: number;
  outlier: number;
  duplicate: number;
  quality: number;
}

export const defaultWeights: SignalWeights = { label: 0.9, loss: 0.5, unsure: 0.2, outlier: 0.8, duplicate: 0.3, quality: 0.5 };

export interface RankExtras {
  /** Pixel facts per item (duplicates by pixels and pHash, quality checks). */
  facts?: ImageFacts[];
  /** Out-of-sample probabilities if the caller has them; otherwise k-fold on `preds.features`. */
  outOfSampleProbs?: Float32Array;
  crossVal?: CrossValOptions;
  duplicates?: DuplicateOptions;
  quality?: QualityThresholds;
  weights?: Partial<SignalWeights>;
  /** Neighbours for the outlier score (default 10). */
  k?: number;
  /** A robust z above this flags 'outlier' (default 3). */
  outlierZ?: number;
  model?: { dir?: string; checksum?: string };
  onProgress?: OnProgress;
}

export interface SignalRanking {
  /** The signal's name, as a key of `RankedItem.signals`. */
  signal: string;
  /** Item indices, most suspicious by this signal first. */
  order: number[];
}

export interface RankResult extends DatasetRanking {
  /** Each signal's own ranking. */
  bySignal: Record<string, string[]>;
  /** Files flagged by confident learning, most likely wrong first. */
  labelIssues: string[];
  /** The out-of-sample probabilities used (n * c). */
  outOfSampleProbs?: Float32Array;
}

const fmt = (x: number) => (x < 0.01 ? x.toExponential(1) : x.toFixed(2));

/**
 * Ranks every item of a dataset by how likely it is bad data, merging label issues (confident
 * learning on out-of-sample probabilities), loss and margin under the current model, duplicates,
 * embedding outliers and image quality. Every reason is kept; each signal's own order is returned.
 */
export function rankDataset(preds: Preds, extras: RankExtras = {}): RankResult {
  const n = preds.items.length;
  const c = preds.classes.length;
  const w = { ...defaultWeights, ...extras.weights };
  const labels = preds.targets;
  const d = preds.featureDim ?? 0;
  const signals: Record<string, Float32Array> = {};
  const reasons: string[][] = Array.from({ length: n }, () => []);

  // Under the current model: loss (as 1 - p(label)) and how unsure it is (1 - top-2 margin).
  const loss = new Float32Array(n);
  const unsure = new Float32Array(n);
  const predicted = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = preds.probs.subarray(i * c, (i + 1) * c);
    const sorted = Array.from(p).sort((a, b) => b - a);
    loss[i] = 1 - p[labels[i]!]!;
    unsure[i] = 1 - (sorted[0]! - (sorted[1] ?? 0));
    predicted[i] = p.indexOf(sorted[0]!);
  }
  signals.loss = loss;
  signals.unsure = unsure;

  // Confident learning on out-of-sample probabilities.
  let oos = extras.outOfSampleProbs;
  if (!oos && preds.features && d > 0) oos = crossValProbs(preds.features, d, labels, c, { ...extras.crossVal, onProgress: extras.crossVal?.onProgress ?? extras.onProgress });
  const cl = findLabelIssues(oos ?? preds.probs, labels, c);
  const labelSignal = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    labelSignal[i] = cl.mask[i] ? 0.5 + 0.5 * (1 - cl.quality[i]!) : 0.5 * (1 - cl.quality[i]!);
    if (cl.mask[i]) reasons[i]!.push(`label issue (confident learning: p(${preds.classes[labels[i]!]})=${fmt(cl.quality[i]!)}, likely ${preds.classes[cl.suggested[i]!]})`);
    else if (cl.quality[i]! < 0.5) reasons[i]!.push(`doubtful label (out-of-sample p(${preds.classes[labels[i]!]})=${fmt(cl.quality[i]!)})`);
  }
  signals.label = labelSignal;
  for (let i = 0; i < n; i++) if (loss[i]! > 0.5 && predicted[i] !== labels[i]) reasons[i]!.push(`high loss (p(label)=${fmt(1 - loss[i]!)}, predicted ${preds.classes[predicted[i]!]})`);

  // Embedding: near duplicates and outliers.
  const unit = preds.features && d > 0 ? normalizedRows(preds.features, d) : undefined;
  const cos = unit ? cosineMatrix(unit, d) : undefined;
  const dupItems = preds.items.map((it, i) => ({ file: it.id, label: it.label, split: it.split, pixelHash: extras.facts?.[i]?.pixelHash, phash: extras.facts?.[i]?.phash }));
  const dups = findDuplicates(dupItems, cos, extras.duplicates);
  const dupSignal = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = dups.best[i];
    if (!b) continue;
    const other = preds.items[b.other]!;
    const cross = other.label !== preds.items[i]!.label;
    const leak = other.split !== preds.items[i]!.split;
    dupSignal[i] = cross ? 1 : leak ? 0.5 : 0.25;
    const what = b.kind === 'exact' ? 'exact duplicate' : 'near duplicate';
    reasons[i]!.push(`${what} of ${other.id}${cross ? ` (labelled ${other.label})` : ''}${leak ? ` (in ${other.split}: leakage)` : ''}`);
  }
  signals.duplicate = dupSignal;

  const outlier = new Float32Array(n);
  if (cos) {
    // A duplicate should not hide its twin's oddness, so pairs and triples skip each other (big chained groups do not).
    const knn = knnOutlierScores(cos, labels, extras.k ?? 10, dups.partners.map((p) => (p.length <= 2 ? p : [])));
    const z = robustZByClass(knn, labels);
    const pr = percentileRanks(z);
    const zMax = extras.outlierZ ?? 3;
    for (let i = 0; i < n; i++) {
      outlier[i] = pr[i]! ** 2;
      if (z[i]! > zMax) reasons[i]!.push(`outlier in ${preds.items[i]!.label} (kNN distance z=${z[i]!.toFixed(1)})`);
      else if (pr[i]! >= 0.9) reasons[i]!.push(`unusual for ${preds.items[i]!.label} (kNN distance in the top ${Math.max(1, Math.round((1 - pr[i]!) * 100))}%)`);
    }
  }
  signals.outlier = outlier;

  const quality = new Float32Array(n);
  if (extras.facts) {
    for (let i = 0; i < n; i++) {
      const issues = qualityIssues(extras.facts[i]!, extras.quality);
      quality[i] = issues.length ? Math.min(1, 0.6 + 0.2 * issues.length) : 0;
      reasons[i]!.push(...issues);
    }
  }
  signals.quality = quality;

  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let keep = 1;
    for (const [name, weight] of Object.entries(w)) keep *= 1 - weight * (signals[name]?.[i] ?? 0);
    score[i] = 1 - keep;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  const items: RankedItem[] = order.map((i) => ({
    file: preds.items[i]!.id,
    label: preds.items[i]!.label,
    split: preds.items[i]!.split,
    suggested: preds.classes[cl.suggested[i]!]!,
    score: Number(score[i]!.toFixed(4)),
    reasons: reasons[i]!,
    signals: Object.fromEntries(Object.entries(signals).map(([k, v]) => [k, Number(v[i]!.toFixed(4))])),
  }));
  const bySignal: Record<string, string[]> = {};
  for (const [name, v] of Object.entries(signals)) {
    bySignal[name] = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[b]! - v[a]! || a - b).map((i) => preds.items[i]!.id);
  }
  return {
    version: 1,
    classes: preds.classes,
    ...(extras.model ? { model: extras.model } : {}),
    items,
    duplicates: dups.groups,
    createdAt: new Date().toISOString(),
    bySignal,
    labelIssues: cl.indices.map((i) => preds.items[i]!.id),
    ...(oos ? { outOfSampleProbs: oos } : {}),
  };
}
