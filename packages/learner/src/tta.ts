import * as tf from '@tensorflow/tfjs-core';
import { augTransforms, decodeAugmentedInto, Rng, type AugmentOptions } from '@bears/data';
import { LearnerError } from './errors.js';
import { imageToInput, type ImageInput, type Prediction } from './inference.js';
import type { Learner } from './learner.js';
import type { Normalization } from './normalization.js';
import type { ValidResize } from '@bears/data';
import type * as tfl from '@tensorflow/tfjs-layers';

/** fastai v2's `Learner.tta`: `n` augmented views (the training transforms) averaged, then mixed with the plain view. */
export interface TtaOptions {
  /** Augmented views per image (fastai: 4). */
  n?: number;
  /** Weight of the plain (validation-fit) view: probs = beta * plain + (1 - beta) * mean(augmented) (fastai: 0.25). */
  beta?: number;
  /** Seed of the augmented views (default: the learner's seed, else 42). */
  seed?: number;
  /** The training transforms to draw views from (default: the loader's, fastai's aug_transforms). */
  augment?: AugmentOptions;
}

export interface TtaResult {
  /** n x classes probabilities, row-major. */
  probs: Float32Array;
  /** The plain view's probabilities alone (what predict without tta gives). */
  plainProbs: Float32Array;
  targets: Int32Array;
  loss: number;
  metrics: Record<string, number>;
}

function checkTta(options: TtaOptions): { n: number; beta: number } {
  const n = options.n ?? 4;
  const beta = options.beta ?? 0.25;
  if (!Number.isInteger(n) || n < 1) throw new LearnerError(`tta: n must be a positive integer, got ${n}`);
  if (!(beta >= 0 && beta <= 1)) throw new LearnerError(`tta: beta must be in [0, 1], got ${beta}`);
  return { n, beta };
}

/** torch.lerp(mean(augmented), plain, beta), fastai's mix: beta * plain + (1 - beta) * mean of the augmented views. */
export function ttaMix(plain: Float32Array, augmented: Float32Array[], beta = 0.25): Float32Array {
  if (augmented.length === 0) return Float32Array.from(plain);
  for (const a of augmented) if (a.length !== plain.length) throw new LearnerError(`ttaMix: views of different sizes (${a.length} vs ${plain.length})`);
  const out = new Float32Array(plain.length);
  for (let j = 0; j < plain.length; j++) {
    let mean = 0;
    for (const a of augmented) mean += a[j]!;
    mean /= augmented.length;
    out[j] = beta * plain[j]! + (1 - beta) * mean;
  }
  return out;
}

/**
 * Test-time augmentation on the validation set, fastai v2's `learn.tta()`: probabilities of the plain view
 * (fitted by `validResize`) mixed with the mean over `n` views drawn with the training transforms.
 * Runs the whole network (body included) on every view, so it costs n + 1 validation passes.
 */
export async function tta(learn: Learner, options: TtaOptions = {}): Promise<TtaResult> {
  const { n, beta } = checkTta(options);
  const model = learn.inferenceModel();
  const seed = options.seed ?? learn.options.seed ?? 42;
  const common = { batchSize: 16, size: learn.inputSize, normalize: learn.normalize, validResize: learn.validResize, shuffle: false, concurrency: learn.options.concurrency, seed };
  const run = async (augment: boolean, epoch: number): Promise<{ probs: Float32Array; targets: Int32Array }> => {
    const probs: number[] = [];
    const targets: number[] = [];
    const loader = learn.data.loader('valid', { ...common, augment, epoch, ...(augment && options.augment ? { transforms: options.augment } : {}) });
    for await (const b of loader) {
      const p = tf.tidy(() => model.predict(b.x) as tf.Tensor2D);
      probs.push(...((await p.data()) as Float32Array));
      targets.push(...((await b.y.data()) as Int32Array));
      tf.dispose([p, b.x, b.y]);
    }
    return { probs: Float32Array.from(probs), targets: Int32Array.from(targets) };
  };
  const plain = await run(false, 0);
  if (plain.targets.length === 0) throw new LearnerError('tta: the validation set is empty');
  const views: Float32Array[] = [];
  for (let v = 0; v < n; v++) views.push((await run(true, 1000 + v)).probs);
  const probs = ttaMix(plain.probs, views, beta);
  const c = learn.classes.length;
  const logp = tf.tidy(() => tf.log(tf.maximum(tf.tensor2d(probs, [plain.targets.length, c]), 1e-12)) as tf.Tensor2D);
  const labels = tf.tensor1d(plain.targets, 'int32');
  const loss = tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, c), logp), 1))).dataSync()[0]!);
  const metrics: Record<string, number> = {};
  for (const m of learn.metrics) metrics[m.name] = m.compute(logp, labels);
  tf.dispose([logp, labels]);
  return { probs, plainProbs: plain.probs, targets: plain.targets, loss, metrics };
}

export interface PredictTtaContext {
  classes: string[];
  inputSize: number;
  normalize: Normalization;
  resize: ValidResize;
}

/**
 * predict with test-time augmentation: the plain view plus `n` training-transform views of each photo (a file
 * path or encoded bytes; the views are seeded per image position and view, so results repeat), mixed as fastai's tta.
 */
export async function predictTta(model: tfl.LayersModel, images: ImageInput[], ctx: PredictTtaContext, options: TtaOptions = {}): Promise<Prediction[]> {
  const { n, beta } = checkTta(options);
  const transforms = augTransforms(options.augment ?? {});
  const seed = options.seed ?? 42;
  const size = ctx.inputSize;
  const per = size * size * 3;
  const out: Prediction[] = [];
  for (let i = 0; i < images.length; i++) {
    const image = images[i]!;
    if (!(typeof image === 'string' || image instanceof Uint8Array || image instanceof ArrayBuffer)) {
      throw new LearnerError('predict with tta: pass a file path or encoded image bytes (augmented views are decoded from the photo)');
    }
    const source = image instanceof ArrayBuffer ? new Uint8Array(image) : image;
    const plainInput = await imageToInput(source, size, ctx.normalize, ctx.resize);
    const data = new Float32Array(n * per);
    try {
      for (let v = 0; v < n; v++) await decodeAugmentedInto(source, size, transforms, new Rng(seed, 'tta', v, i), ctx.normalize, data, v * per);
    } catch (err) {
      plainInput.dispose();
      throw new LearnerError(`predict with tta: cannot decode ${typeof source === 'string' ? source : 'image bytes'}: ${(err as Error).message}`, { cause: err });
    }
    const probs = tf.tidy(() => {
      const x = tf.concat([tf.expandDims(plainInput, 0), tf.tensor4d(data, [n, size, size, 3])], 0);
      return model.predict(x) as tf.Tensor2D;
    });
    plainInput.dispose();
    const vals = (await probs.data()) as Float32Array;
    probs.dispose();
    const k = ctx.classes.length;
    const views = Array.from({ length: n }, (_, v) => vals.slice((v + 1) * k, (v + 2) * k));
    const p = Array.from(ttaMix(vals.slice(0, k), views, beta));
    let index = 0;
    for (let j = 1; j < k; j++) if (p[j]! > p[index]!) index = j;
    out.push({ label: ctx.classes[index] ?? String(index), index, probabilities: p });
  }
  return out;
}
