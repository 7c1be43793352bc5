// k-fold cross-validation of a training recipe on a class-per-folder dataset (bench helper, not shipped API).
import { Rng } from '@bears/data';
import * as tf from '@tensorflow/tfjs-core';
import { ImageDataset } from '@bears/data/node';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cnnLearner } from '../cnn-learner.js';
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

/** Errors on a held-out fold: plain validation view (predict without tta) and with tta, all and not suspect. */
export interface FoldScore {
  errors: number;
  cleanErrors: number;
  ttaErrors: number;
  ttaCleanErrors: number;
  /** Mean held-out log loss (-ln p of the label), plain view and with tta; with tta also on the images not suspect. */
  logLoss: number;
  cleanLogLoss: number;
  ttaLogLoss: number;
  ttaCleanLogLoss: number;
}

export interface FoldResult extends FoldScore {
  fold: number;
  valid: number;
  clean: number;
  /** The recipe's own predictions: tta's when recipe.tta, else the plain view's. */
  recipeErrors: number;
  recipeCleanErrors: number;
  /** After the frozen phase, before unfreezing (full recipes that unfreeze). */
  frozenErrors?: number;
  frozenCleanErrors?: number;
  frozen?: FoldScore;
  /** The unfreezeCheck: the recipe's model then unfrozen (recipes without an unfrozen phase). */
  unfrozen?: FoldScore;
  /** The unfreezeCheck's weight-space ensembles (WiSE-FT): frozen + alpha * (unfrozen - frozen), each weight. */
  wise?: { alpha: number; score: FoldScore }[];
  /** The unfreezeCheck's refit: the fine-tuned body frozen again and fresh member heads fitted on its activations. */
  refit?: FoldScore;
  /** The recipe's time on this fold: loading, extraction, training, and tta when the recipe uses it. */
  seconds: number;
}

/** Mean -ln p(label) over the rows `keep` accepts (p floored at 1e-7, as a confident miss should not be infinite). */
export function meanLogLoss(probs: Float32Array, labels: number[], c: number, keep: (i: number) => boolean = () => true): number {
  let sum = 0;
  let n = 0;
  labels.forEach((y, i) => {
    if (!keep(i)) return;
    sum -= Math.log(Math.max(probs[i * c + y]!, 1e-7));
    n++;
  });
  return n ? sum / n : NaN;
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

export interface CvOptions {
  root: string;
  pretrained: string;
  recipe: Recipe;
  /** Skip the unfrozen phase (the quick mode). */
  frozenOnly: boolean;
  folds?: number;
  seed?: number;
  suspects: Set<string>;
  /** Augmented views in tta (default: the recipe's ttaViews). */
  ttaViews?: number;
  log?: (line: string) => void;
  /** Also unfreeze the recipe's model afterwards and score it (not timed): does unfreezing improve on it? */
  unfreezeCheck?: { epochs: number; lrRange: [number, number]; folds?: number[]; from?: number; wise?: number[]; refit?: { epochs: number; lr: number } };
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
      const learn = await cnnLearner(ds, { pretrained: options.pretrained, seed, cacheViews: options.recipe.cacheViews, heads: options.recipe.heads ?? 1, log: options.log ?? (() => {}), ...options.learner });
      const c = ds.classes.length;
      const rel = ds.valid.map((it) => path.relative(options.root, it.file).split(path.sep).join('/'));
      const labels = ds.valid.map((it) => it.label);
      // Held-out images whose label is not marked suspect in the manifest.
      const sound = rel.map((r) => !options.suspects.has(r));
      const count = (pred: number[]) => {
        let errors = 0;
        let cleanErrors = 0;
        pred.forEach((p, i) => {
          const wrong = p !== labels[i] ? 1 : 0;
          errors += wrong;
          if (sound[i]) cleanErrors += wrong;
        });
        return { errors, cleanErrors };
      };
      const clean = sound.filter(Boolean).length;
      const score = async (): Promise<FoldScore & { seconds: number }> => {
        const t = performance.now();
        const r = await tta(learn, { n: options.ttaViews ?? options.recipe.ttaViews });
        const plain = count(argmaxRows(r.plainProbs, c));
        const aug = count(argmaxRows(r.probs, c));
        return {
          ...plain,
          ttaErrors: aug.errors,
          ttaCleanErrors: aug.cleanErrors,
          logLoss: meanLogLoss(r.plainProbs, labels, c),
          cleanLogLoss: meanLogLoss(r.plainProbs, labels, c, (i) => sound[i]!),
          ttaLogLoss: meanLogLoss(r.probs, labels, c),
          ttaCleanLogLoss: meanLogLoss(r.probs, labels, c, (i) => sound[i]!),
          seconds: (performance.now() - t) / 1000,
        };
      };
      const strip = ({ seconds: _, ...s }: FoldScore & { seconds: number }): FoldScore => s;
      try {
        await learn.fitOneCycle(options.recipe.epochs, options.recipe.lr);
        let frozen: (FoldScore & { seconds: number }) | undefined;
        if (!options.frozenOnly && options.recipe.unfreezeEpochs > 0) {
          frozen = await score();
          learn.unfreeze();
          await learn.fitOneCycle(options.recipe.unfreezeEpochs, options.recipe.lrRange);
        }
        const trained = (performance.now() - t0) / 1000 - (frozen?.seconds ?? 0);
        const final = await score();
        const seconds = trained + (options.recipe.tta ? final.seconds : 0);
        let unfrozen: FoldScore | undefined;
        let refit: FoldScore | undefined;
        const wise: { alpha: number; score: FoldScore }[] = [];
        if (!options.frozenOnly && options.unfreezeCheck && options.recipe.unfreezeEpochs === 0 && (options.unfreezeCheck.folds?.includes(f) ?? true)) {
          const alphas = options.unfreezeCheck.wise ?? [];
          const start = alphas.length ? [...learn.namedWeights()].map(([, w]) => [w, tf.clone(w.read())] as const) : [];
          learn.freezeTo(options.unfreezeCheck.from ?? 0);
          await learn.fitOneCycle(options.unfreezeCheck.epochs, options.unfreezeCheck.lrRange);
          unfrozen = strip(await score());
          if (options.unfreezeCheck.refit) {
            if (alphas.length) throw new Error('unfreezeCheck: refit and wise cannot be combined');
            learn.freeze();
            // Fresh member heads, as the recipe's frozen phase trains them, on the fine-tuned body's activations.
            (learn as unknown as { headTrainedAlone: boolean }).headTrainedAlone = false;
            await learn.fitOneCycle(options.unfreezeCheck.refit.epochs, options.unfreezeCheck.refit.lr);
            refit = strip(await score());
          }
          const end = start.map(([w]) => tf.clone(w.read()));
          for (const alpha of alphas) {
            start.forEach(([w, a], i) => {
              const t = tf.tidy(() => tf.add(a, tf.mul(tf.sub(end[i]!, a), alpha)));
              w.write(t);
              t.dispose();
            });
            wise.push({ alpha, score: strip(await score()) });
          }
          tf.dispose([...start.map(([, a]) => a), ...end]);
        }
        const recipeErrors = options.recipe.tta ? final.ttaErrors : final.errors;
        const recipeCleanErrors = options.recipe.tta ? final.ttaCleanErrors : final.cleanErrors;
        const pick = (s: FoldScore) => (options.recipe.tta ? `${s.ttaErrors} (${s.ttaCleanErrors} not suspect; log loss ${s.ttaLogLoss.toFixed(4)})` : `${s.errors} (${s.cleanErrors} not suspect; log loss ${s.logLoss.toFixed(4)})`);
        options.log?.(
          `fold ${f}: ${pick(final)} errors of ${ds.valid.length} (${clean} not suspect) [plain ${final.errors}/${final.cleanErrors}, tta ${final.ttaErrors}/${final.ttaCleanErrors}]` +
            (frozen ? `; frozen ${pick(frozen)}` : '') +
            (unfrozen ? `; then unfrozen ${pick(unfrozen)} [plain ${unfrozen.errors}/${unfrozen.cleanErrors}]` : '') +
            wise.map((w) => `; wise ${w.alpha} ${pick(w.score)}`).join('') +
            (refit ? `; refit ${pick(refit)}` : '') +
            `; ${seconds.toFixed(1)} s`,
        );
        results.push({
          fold: f,
          valid: ds.valid.length,
          clean,
          ...strip(final),
          recipeErrors,
          recipeCleanErrors,
          ...(frozen ? { frozenErrors: options.recipe.tta ? frozen.ttaErrors : frozen.errors, frozenCleanErrors: options.recipe.tta ? frozen.ttaCleanErrors : frozen.cleanErrors, frozen: strip(frozen) } : {}),
          ...(unfrozen ? { unfrozen } : {}),
          ...(wise.length ? { wise } : {}),
          ...(refit ? { refit } : {}),
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
