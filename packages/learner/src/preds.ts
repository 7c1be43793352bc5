import * as tf from '@tensorflow/tfjs-core';
import type { ImageCodec } from '@bears/backend';
import type { Item, LoaderOptions, Normalization, Split, ValidResize } from '@bears/data';
import { LearnerError } from './errors.js';
import type { LearnerData } from './feature-cache.js';

/** Progress of a long step (feature extraction, getPreds): `done` of `total` images in `phase`. */
export type OnProgress = (p: { phase: string; done: number; total: number }) => void;

export interface GetPredsOptions {
  /** Which images (default 'valid'); 'all' is train then valid. */
  split?: Split | 'all';
  /** Per-item cross-entropy of the probabilities (default false). */
  withLoss?: boolean;
  /** Pooled body features (concat pool: [max, avg]) per item (default false). */
  withFeatures?: boolean;
  onProgress?: OnProgress;
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

export interface PredItem {
  /** The image's id: its path relative to the dataset root (POSIX), or the in-memory id. */
  id: string;
  /** Its class name in the dataset. */
  label: string;
  split: Split;
}

/** Per-item predictions in dataset order: the base for interpretation and cleaning. */
export interface Preds {
  items: PredItem[];
  classes: string[];
  /** n * classes.length probabilities, row-major. */
  probs: Float32Array;
  /** Index into `classes` of each item's label. */
  targets: Int32Array;
  /** -log p(target) per item, with withLoss. */
  losses?: Float32Array;
  /** n * featureDim pooled body features, with withFeatures. */
  features?: Float32Array;
  featureDim?: number;
}

/** A forward pass for getPreds: probabilities and (when asked) pooled features; runs inside tf.tidy. */
export type PredsForward = (x: tf.Tensor4D, withFeatures: boolean) => { probs: tf.Tensor2D; features?: tf.Tensor2D };

/**
 * Runs `forward` over the dataset's images in order, validation-style (no shuffle, no augmentation,
 * the model's fit and normalization), so item i of the result is item i of the split.
 */
export async function collectPreds(
  data: LearnerData,
  classes: string[],
  forward: PredsForward,
  input: { size: number; normalize: Normalization; resize: ValidResize; codec?: ImageCodec; concurrency?: number },
  options: GetPredsOptions = {},
): Promise<Preds> {
  const which = options.split ?? 'valid';
  if (which !== 'train' && which !== 'valid' && which !== 'all') throw new LearnerError(`getPreds: split must be 'train', 'valid' or 'all', got ${String(which)}`);
  const splits: Split[] = which === 'all' ? ['train', 'valid'] : [which];
  // Dataset label i -> model class index (an export may list classes in another order).
  const toModel = data.classes.map((c) => classes.indexOf(c));
  const missing = data.classes.filter((_, i) => toModel[i]! < 0);
  if (missing.length) throw new LearnerError(`getPreds: the dataset has class(es) ${missing.join(', ')} that the model does not know (model classes: ${classes.join(', ')})`);
  const total = splits.reduce((n, s) => n + (s === 'train' ? data.train : data.valid).length, 0);
  const k = classes.length;
  const probs = new Float32Array(total * k);
  const targets = new Int32Array(total);
  const items: PredItem[] = [];
  let features: Float32Array | undefined;
  let featureDim: number | undefined;
  let n = 0;
  options.onProgress?.({ phase: 'predict', done: 0, total });
  for (const split of splits) {
    const expected = (split === 'train' ? data.train : data.valid).length;
    if (expected === 0) continue;
    const loaderOptions: LoaderOptions = {
      batchSize: options.batchSize ?? 16,
      size: input.size,
      normalize: input.normalize,
      validResize: input.resize,
      shuffle: false,
      augment: false,
      dropLast: false,
      onError: 'throw',
      ...(input.codec ? { codec: input.codec } : {}),
      ...(input.concurrency ? { concurrency: input.concurrency } : {}),
    };
    let seen = 0;
    for await (const b of data.loader(split, loaderOptions)) {
      const out = tf.tidy(() => forward(b.x, !!options.withFeatures));
      const [p, f] = await Promise.all([out.probs.data() as Promise<Float32Array>, out.features?.data() as Promise<Float32Array> | undefined]);
      const rows = out.probs.shape[0];
      tf.dispose([out.probs, out.features].filter((t): t is tf.Tensor2D => !!t));
      if (n + rows > total) throw new LearnerError(`getPreds: the ${split} loader yielded more images than the dataset lists`);
      probs.set(p, n * k);
      if (f) {
        featureDim ??= f.length / rows;
        features ??= new Float32Array(total * featureDim);
        features.set(f, n * featureDim);
      }
      b.items.forEach((it: Item, i: number) => {
        targets[n + i] = toModel[it.label]!;
        items.push({ id: it.id ?? it.file, label: data.classes[it.label]!, split });
      });
      n += rows;
      seen += rows;
      options.onProgress?.({ phase: 'predict', done: n, total });
    }
    if (seen !== expected) throw new LearnerError(`getPreds: the ${split} loader yielded ${seen} images, the dataset lists ${expected}`);
  }
  const preds: Preds = { items, classes: [...classes], probs, targets };
  if (options.withLoss) {
    const losses = new Float32Array(total);
    for (let i = 0; i < total; i++) losses[i] = -Math.log(Math.max(probs[i * k + targets[i]!]!, 1e-30));
    preds.losses = losses;
  }
  if (options.withFeatures) {
    preds.features = features ?? new Float32Array(0);
    preds.featureDim = featureDim ?? 0;
  }
  return preds;
}
