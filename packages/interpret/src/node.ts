// @bears/interpret/node: folders, exported models and PNG files.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rankingCsv } from './csv.js';
import { ClassificationInterpretation } from './interpretation.js';
import { rankDataset, type RankExtras, type RankResult } from './rank.js';
import type { DatasetRanking, ImageFacts, OnProgress, Preds } from './types.js';
import { listFolder, loadInterpretModel, predsForItems, type FolderItem, type InterpretModel } from './node/core-adapter.js';
import { plotConfusionMatrix, plotDuplicates, plotTopLosses } from './node/plots.js';

export { listFolder, loadInterpretModel, predsForItems, factsOfFile, InterpretModel } from './node/core-adapter.js';
export type { FolderItem } from './node/core-adapter.js';
export { GradCam } from './node/gradcam.js';
export { plotConfusionMatrix, plotDuplicates, plotTopLosses } from './node/plots.js';

/** A model that does not know the folder's classes. */
export class ClassMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClassMismatchError';
  }
}

export interface FolderAnalysis {
  root: string;
  model: InterpretModel;
  items: FolderItem[];
  preds: Preds;
  facts: ImageFacts[];
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
export async function analyzeFolder(modelDir: string, dataDir: string, options: { onProgress?: OnProgress; rank?: RankExtras } = {}): Promise<FolderAnalysis> {
  const model = await loadInterpretModel(modelDir);
  try {
    const folder = await listFolder(dataDir);
    const unknown = folder.classes.filter((c) => !model.classes.includes(c));
    if (unknown.length) {
      throw new ClassMismatchError(`the model was trained on ${model.classes.join(', ')}, but ${dataDir} has class folder(s) ${unknown.join(', ')}: use the model trained on this data`);
    }
    const { preds, facts } = await predsForItems(model, folder.items, { onProgress: options.onProgress });
    const ranking = rankDataset(preds, { facts, model: { dir: model.dir, checksum: model.checksum }, onProgress: options.onProgress, ...options.rank });
    const valid = preds.items.flatMap((it, i) => (it.split === 'valid' ? [i] : []));
    const interp = new ClassificationInterpretation(valid.length ? subset(preds, valid) : preds);
    return { root: folder.root, model, items: folder.items, preds, facts, interp, ranking };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The ranking as the cleaner reads it (no bulky arrays). */
export function toDatasetRanking(r: RankResult): DatasetRanking {
  return { version: 1, classes: r.classes, ...(r.model ? { model: r.model } : {}), items: r.items, duplicates: r.duplicates, createdAt: r.createdAt };
}

/** rankFolder(modelDir, dataDir): every image of the folder, most suspicious first (CONTRACT.md). */
export async function rankFolder(modelDir: string, dataDir: string, options: { backend?: unknown; onProgress?: OnProgress } = {}): Promise<DatasetRanking> {
  const a = await analyzeFolder(modelDir, dataDir, { onProgress: options.onProgress });
  a.model.dispose();
  return toDatasetRanking(a.ranking);
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Writes top_losses.png, confusion_matrix.png, duplicates.png, ranking.csv and ranking.json into `outDir`. */
export async function writeInterpretation(a: FolderAnalysis, outDir: string, options: { topK?: number; onProgress?: OnProgress } = {}): Promise<string[]> {
  const k = options.topK ?? 9;
  options.onProgress?.({ phase: 'plots', done: 0, total: 3 });
  const files: Array<[string, Uint8Array | string]> = [
    ['confusion_matrix.png', await plotConfusionMatrix(a.interp, `Confusion matrix (${a.interp.preds.items.length} images, accuracy ${(a.interp.accuracy() * 100).toFixed(1)}%)`)],
    ['top_losses.png', await plotTopLosses(a.interp, a.root, k, a.model)],
  ];
  options.onProgress?.({ phase: 'plots', done: 2, total: 3 });
  if (a.ranking.duplicates.length) files.push(['duplicates.png', await plotDuplicates(a.ranking.duplicates, a.root)]);
  options.onProgress?.({ phase: 'plots', done: 3, total: 3 });
  files.push(['ranking.csv', rankingCsv(a.ranking)], ['ranking.json', `${JSON.stringify(toDatasetRanking(a.ranking), null, 1)}\n`]);
  await mkdir(outDir, { recursive: true });
  for (const [name, data] of files) await writeAtomic(path.join(outDir, name), data);
  return files.map(([name]) => path.join(outDir, name));
}
