// @bears/interpret/node: folders, exported models and PNG files.
import type { ActiveBackend } from '@bears/backend';
import type { ExportedModel } from '@bears/learner';
import { writeFileAtomic } from '@bears/data/node';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { rankingCsv } from './csv.js';
import { ClassificationInterpretation } from './interpretation.js';
import { rankDataset, type RankExtras, type RankResult } from './rank.js';
import type { DatasetRanking, ImageFacts, OnProgress, Preds } from './types.js';
import { averagePoolHalf, codecOf, factsOfFiles, openFolder, openModel } from './node/folder.js';
import { plotConfusionMatrix, plotDuplicates, plotTopLosses } from './node/plots.js';

export { averagePoolHalf, codecOf, convLayerOf, factsOfFile, factsOfFiles, gradCamOf, openFolder, openModel } from './node/folder.js';
export { GradCam } from './node/gradcam.js';
export { plotConfusionMatrix, plotDuplicates, plotTopLosses } from './node/plots.js';

/** A model that does not know the folder's classes. */
export class ClassMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClassMismatchError';
  }
}

export interface FolderAnalysis extends FolderPreds {
  backend?: ActiveBackend;
  /** Interpretation of the validation split (all items when the folder has no validation split). */
  interp: ClassificationInterpretation;
  ranking: RankResult;
}

/** Just the validation rows of the predictions. */
function subset(p: Preds, keep: number[]): Preds {
  const c = p.classes.length;
  const probs = new Float32Array(keep.length * c);
  keep.forEach((i, j) => probs.set(p.probs.subarray(i * c, (i + 1) * c), j * c));
  return {
    items: keep.map((i) => p.items[i]!), classes: p.classes, probs,
    targets: Int32Array.from(keep, (i) => p.targets[i]!),
    ...(p.losses ? { losses: Float32Array.from(keep, (i) => p.losses![i]!) } : {}),
  };
}

/**
 * Loads an exported model, predicts every image of a labelled folder (one body pass each, keeping
 * the pooled features), ranks every image, and interprets the validation split. The caller owns
 * `model` (dispose it). Throws before writing anything: a missing folder, an unreadable image, or
 * a model that does not know the folder's classes.
 */
export interface FolderPreds {
  root: string;
  model: ExportedModel;
  /** Every image, train then valid (getPreds 'all'); features are the average-pooled embedding. */
  preds: Preds;
  facts: ImageFacts[];
}

/**
 * Loads an exported model and predicts every image of a labelled folder (one body pass each,
 * keeping the pooled features), plus each image's pixel facts. The caller owns `model`. Throws
 * before any long pass for a missing folder, an unreadable image or a model of other classes.
 */
export async function predictFolder(modelDir: string, dataDir: string, options: { backend?: ActiveBackend; onProgress?: OnProgress } = {}): Promise<FolderPreds> {
  const model = await openModel(modelDir, options.backend);
  try {
    const ds = await openFolder(dataDir);
    const unknown = ds.classes.filter((c) => !model.classes.includes(c));
    if (unknown.length) {
      throw new ClassMismatchError(`the model was trained on ${model.classes.join(', ')}, but ${dataDir} has class folder(s) ${unknown.join(', ')}: use the model trained on this data`);
    }
    // Pixels first: an unreadable file stops everything here, named, before the long pass.
    const files = [...ds.train, ...ds.valid].map((it) => it.file);
    const facts = await factsOfFiles(files, codecOf(options.backend), options.onProgress);
    const raw = await model.getPreds(ds, { split: 'all', withLoss: true, withFeatures: true, onProgress: options.onProgress });
    const preds: Preds = { ...raw, ...(raw.features && raw.featureDim ? averagePoolHalf(raw.features, raw.featureDim) : {}) };
    return { root: ds.root, model, preds, facts };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** predictFolder, then the ranking of every image and the interpretation of the validation split. */
export async function analyzeFolder(modelDir: string, dataDir: string, options: { backend?: ActiveBackend; onProgress?: OnProgress; rank?: RankExtras } = {}): Promise<FolderAnalysis> {
  const { root, model, preds, facts } = await predictFolder(modelDir, dataDir, options);
  const ranking = rankDataset(preds, { facts, model: { dir: path.resolve(modelDir), checksum: model.metadata.files['weights.bin'] }, onProgress: options.onProgress, ...options.rank });
  const valid = preds.items.flatMap((it, i) => (it.split === 'valid' ? [i] : []));
  const interp = new ClassificationInterpretation(valid.length ? subset(preds, valid) : preds);
  return { root, model, ...(options.backend ? { backend: options.backend } : {}), preds, facts, interp, ranking };
}

/** The ranking as the cleaner reads it (no bulky arrays). */
export function toDatasetRanking(r: RankResult): DatasetRanking {
  return { version: 1, classes: r.classes, ...(r.model ? { model: r.model } : {}), items: r.items, duplicates: r.duplicates, createdAt: r.createdAt };
}

/** rankFolder(modelDir, dataDir): every image of the folder, most suspicious first (CONTRACT.md). */
export async function rankFolder(modelDir: string, dataDir: string, options: { backend?: ActiveBackend; onProgress?: OnProgress } = {}): Promise<DatasetRanking> {
  const a = await analyzeFolder(modelDir, dataDir, options);
  a.model.dispose();
  return toDatasetRanking(a.ranking);
}

/** Writes top_losses.png, confusion_matrix.png, duplicates.png, ranking.csv and ranking.json into `outDir`. */
export async function writeInterpretation(a: FolderAnalysis, outDir: string, options: { topK?: number; onProgress?: OnProgress } = {}): Promise<string[]> {
  const k = options.topK ?? 9;
  options.onProgress?.({ phase: 'plots', done: 0, total: 3 });
  const files: Array<[string, Uint8Array | string]> = [
    ['confusion_matrix.png', await plotConfusionMatrix(a.interp, `Confusion matrix (${a.interp.preds.items.length} images, accuracy ${(a.interp.accuracy() * 100).toFixed(1)}%)`)],
    ['top_losses.png', await plotTopLosses(a.interp, a.root, k, a.model, a.backend)],
  ];
  options.onProgress?.({ phase: 'plots', done: 2, total: 3 });
  if (a.ranking.duplicates.length) files.push(['duplicates.png', await plotDuplicates(a.ranking.duplicates, a.root, 10, a.backend)]);
  options.onProgress?.({ phase: 'plots', done: 3, total: 3 });
  files.push(['ranking.csv', rankingCsv(a.ranking)], ['ranking.json', `${JSON.stringify(toDatasetRanking(a.ranking), null, 1)}\n`]);
  await mkdir(outDir, { recursive: true });
  for (const [name, data] of files) await writeFileAtomic(path.join(outDir, name), data);
  return files.map(([name]) => path.join(outDir, name));
}

// The cleaner (issue 14): journal, safe file moves and the local web app.
export * from './clean/index.js';
