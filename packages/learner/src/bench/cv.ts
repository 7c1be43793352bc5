// k-fold cross-validation of a training recipe on a class-per-folder dataset (bench helper, not shipped API).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@bears/data';
import { ImageDataset } from '@bears/data/node';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cnnLearner } from '../cnn-learner.js';
import type { Learner } from '../learner.js';
import type { CnnLearnerOptions } from '../learner-options.js';
import type { Recipe } from '../recipe.js';
import { tta } from '../tta.js';

export interface CvFile {
  /** Path relative to the dataset root, POSIX separators ('grizzly/x.jpg'). */
  file: string;
  label: string;
}

/** Stratified k folds: each class's files, sorted then shuffled with a seeded Rng, dealt round-robin. */
export function stratifiedFolds(files: readonly CvFile[], k: number, seed: number): number[] {
  const fold = new Array<number>(files.length).fill(-1);
  const labels = [...new Set(files.map((f) => f.label))].sort();
  for (const label of labels) {
    const idx = files.map((f, i) => (f.label === label ? i : -1)).filter((i) => i >= 0);
    idx.sort((a, b) => (files[a]!.file < files[b]!.file ? -1 : 1));
    new Rng(seed, 'kfold', label).shuffle(idx);
    idx.forEach((i, j) => (fold[i] = j % k));
  }
  return fold;
}

export async function listClassFolders(root: string): Promise<CvFile[]> {
  const out: CvFile[] = [];
  for (const label of (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort()) {
    for (const f of (await readdir(path.join(root, label))).filter((f) => /\.(jpe?g|png|webp|gif)$/i.test(f)).sort()) out.push({ file: `${label}/${f}`, label });
  }
  return out;
}

/** Files marked suspect_label=yes in a manifest.csv (file,label,...,suspect_label). */
export async function suspectFiles(manifest: string): Promise<Set<string>> {
  const lines = (await readFile(manifest, 'utf8')).split(/\r?\n/).filter(Boolean);
  const header = lines[0]!.split(',');
  const col = header.indexOf('suspect_label');
  return new Set(lines.slice(1).map((l) => l.split(',')).filter((c) => c[col]?.trim() === 'yes').map((c) => c[0]!));
}

export interface FoldResult {
  fold: number;
  valid: number;
  /** Errors of the recipe (plain validation view, as predict without tta). */
  errors: number;
  /** The same on the valid images not marked suspect. */
  cleanErrors: number;
  clean: number;
  ttaErrors: number;
  ttaCleanErrors: number;
  /** After the frozen phase, before unfreezing (full recipes only). */
  frozenErrors?: number;
  frozenCleanErrors?: number;
  seconds: number;
}

function argmaxRows(probs: Float32Array, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < probs.length / c; i++) {
    let b = 0;
    for (let j = 1; j < c; j++) if (probs[i * c + j]! > probs[i * c + b]!) b = j;
    out.push(b);
  }
  return out;
}

/** Plain validation probabilities through the whole network, in the valid list's order. */
async function validProbs(learn: Learner): Promise<Float32Array> {
  const model = learn.inferenceModel();
  const parts: number[] = [];
  for await (const b of learn.data.loader('valid', { batchSize: 16, size: learn.inputSize, normalize: learn.normalize, validResize: learn.validResize, shuffle: false, codec: await learn.codec() })) {
    const p = tf.tidy(() => model.predict(b.x) as tf.Tensor2D);
    parts.push(...((await p.data()) as Float32Array));
    tf.dispose([p, b.x, b.y]);
  }
  return Float32Array.from(parts);
}

export interface CvOptions {
  root: string;
  pretrained: string;
  recipe: Recipe;
  /** Skip the unfrozen phase (the quick mode). */
  frozenOnly: boolean;
  folds?: number;
  seed?: number;
  suspects: Set<string>;
  ttaViews?: number;
  log?: (line: string) => void;
  only?: number[];
  /** Extra learner options (tests use a tiny arch). */
  learner?: CnnLearnerOptions;
  size?: number;
}

/** Runs the recipe on every fold (train on k-1 folds, validate on the held-out one). */
export async function crossValidate(options: CvOptions): Promise<FoldResult[]> {
  const k = options.folds ?? 5;
  const seed = options.seed ?? 42;
  const files = await listClassFolders(options.root);
  const fold = stratifiedFolds(files, k, seed);
  const dir = await mkdtemp(path.join(tmpdir(), 'bears-cv-'));
  const results: FoldResult[] = [];
  try {
    for (let f = 0; f < k; f++) {
      if (options.only && !options.only.includes(f)) continue;
      const t0 = performance.now();
      const csv = path.join(dir, `fold${f}.csv`);
      await writeFile(csv, `name,label,is_valid\n${files.map((x, i) => `${x.file},${x.label},${fold[i] === f ? 1 : 0}`).join('\n')}\n`);
      const ds = await ImageDataset.fromCsv(csv, { root: options.root, seed, size: options.size ?? 224 });
      const learn = await cnnLearner(ds, { pretrained: options.pretrained, seed, cacheViews: options.recipe.cacheViews, log: options.log ?? (() => {}), ...options.learner });
      const c = ds.classes.length;
      const rel = ds.valid.map((it) => path.relative(options.root, it.file).split(path.sep).join('/'));
      const count = (pred: number[]) => {
        let errors = 0;
        let cleanErrors = 0;
        pred.forEach((p, i) => {
          const wrong = p !== ds.valid[i]!.label ? 1 : 0;
          errors += wrong;
          if (!options.suspects.has(rel[i]!)) cleanErrors += wrong;
        });
        return { errors, cleanErrors };
      };
      try {
        await learn.fitOneCycle(options.recipe.epochs, options.recipe.lr);
        let frozen: { errors: number; cleanErrors: number } | undefined;
        if (!options.frozenOnly && options.recipe.unfreezeEpochs > 0) {
          frozen = count(argmaxRows(await validProbs(learn), c));
          learn.unfreeze();
          await learn.fitOneCycle(options.recipe.unfreezeEpochs, options.recipe.lrRange);
        }
        const seconds = (performance.now() - t0) / 1000;
        const t = await tta(learn, { n: options.ttaViews ?? 4 });
        const plain = count(argmaxRows(t.plainProbs, c));
        const aug = count(argmaxRows(t.probs, c));
        const clean = rel.filter((r) => !options.suspects.has(r)).length;
        results.push({
          fold: f,
          valid: ds.valid.length,
          clean,
          ...plain,
          ttaErrors: aug.errors,
          ttaCleanErrors: aug.cleanErrors,
          ...(frozen ? { frozenErrors: frozen.errors, frozenCleanErrors: frozen.cleanErrors } : {}),
          seconds,
        });
      } finally {
        learn.dispose();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}
