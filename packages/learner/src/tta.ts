import * as tf from '@tensorflow/tfjs-core';
import { augTransforms, decodeAugmented, Rng, type AugmentOptions } from '@bears/data';
import type { ImageCodec } from '@bears/backend';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LearnerError } from './errors.js';
import { inferenceForward } from './forward.js';
import { inputFor, readFileNode, runPrepared, toPredictions, type ImageInput, type InputSpec, type Prediction, type RunPrepared } from './inference.js';
import type { Learner } from './learner.js';

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
  const common = { batchSize: 16, size: learn.inputSize, normalize: learn.normalize, validResize: learn.validResize, shuffle: false, concurrency: learn.options.concurrency, seed, codec: await learn.codec() };
  const run = async (augment: boolean, epoch: number): Promise<{ probs: Float32Array; targets: Int32Array }> => {
    const probs: number[] = [];
    const targets: number[] = [];
    const loader = learn.data.loader('valid', { ...common, augment, epoch, ...(augment && options.augment ? { transforms: options.augment } : {}) });
    for await (const b of loader) {
      const p = tf.tidy(() => inferenceForward(model, b.x) as tf.Tensor2D);
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

/**
 * predict with test-time augmentation: the plain view (inputFor, as predict) plus `n` views drawn with the training
 * transforms from the photo's bytes (a file path in Node, or encoded bytes), seeded per image position and view so
 * results repeat, mixed as fastai's tta.
 */
export async function predictTta(
  model: tfl.LayersModel,
  images: ImageInput[],
  ctx: InputSpec & { classes: string[]; codec: ImageCodec; fuse?: boolean; run?: RunPrepared },
  options: TtaOptions = {},
): Promise<Prediction[]> {
  const { n, beta } = checkTta(options);
  const transforms = augTransforms(options.augment ?? {});
  const seed = options.seed ?? 42;
  const size = ctx.inputSize;
  const per = size * size * 3;
  const k = ctx.classes.length;
  const out: Prediction[] = [];
  for (const [i, image] of images.entries()) {
    let bytes: Uint8Array;
    if (typeof image === 'string') bytes = await readFileNode(image);
    else if (image instanceof Uint8Array) bytes = image;
    else if (image instanceof ArrayBuffer) bytes = new Uint8Array(image);
    else throw new LearnerError('predict with tta: pass encoded image bytes or (Node) a file path: the augmented views are decoded from the photo');
    const batch = new Float32Array((n + 1) * per);
    const name = typeof image === 'string' ? image : 'image bytes';
    // The views at once (each seeded by its index, written at its own offset), so the decoder's threads
    // overlap them instead of waiting for each in turn.
    const views = await Promise.allSettled([
      inputFor(bytes, ctx, ctx.codec).then((x) => batch.set(x, 0)),
      ...Array.from({ length: n }, (_, v) =>
        decodeAugmented(ctx.codec, bytes, { size, augment: transforms, rng: new Rng(seed, 'tta', v, i), normalize: ctx.normalize, name }, batch, (v + 1) * per),
      ),
    ]);
    // The first failure in view order (the plain view's, with predict's message), whichever came first.
    const failed = views.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const probs = ctx.run ? await ctx.run(batch, n + 1) : await runPrepared(model, batch, n + 1, size, ctx.fuse);
    const viewProbs = Array.from({ length: n }, (_, v) => probs.slice((v + 1) * k, (v + 2) * k));
    out.push(...toPredictions(ttaMix(probs.slice(0, k), viewProbs, beta), k, ctx.classes));
  }
  return out;
}
