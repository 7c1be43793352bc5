import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageCodec } from '@bears/backend';
import { Rng, type Batch, type Item, type LoaderOptions, type ValidResize } from '@bears/data';
import { LearnerError } from './errors.js';
import { fusedInference } from './fused-inference.js';
import { concatPool } from './head.js';
import type { Normalization } from './normalization.js';

// The learner takes @bears/data's batches as they are.
export type { Batch, Item, LoaderOptions };

/** What the learner needs from a dataset (an @bears/data ImageDataset fits). */
export interface LearnerData {
  classes: string[];
  train: Item[];
  valid: Item[];
  loader(split: 'train' | 'valid', options?: LoaderOptions): AsyncIterable<Batch>;
}

export interface FeatureCacheOptions {
  views: number;
  size: number;
  batchSize: number;
  normalize: Normalization;
  bodyVersion: number;
  /** How validation images fit the square (default 'crop'). */
  validResize?: ValidResize;
  concurrency?: number;
  seed?: number;
  /** Decodes the images (the learner's backend codec). */
  codec?: ImageCodec;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
  /** Fuse the frozen body's batch norm + relu6 pairs (same outputs; on the wasm backend). */
  fuse?: boolean;
  /** Batches decoded ahead while the body runs (the loader's prefetch; 0 on a forward that takes every core). */
  prefetch?: number;
}

function permutation(n: number, seed: number): number[] {
  return new Rng(seed, 'feature-cache').shuffle(Array.from({ length: n }, (_, i) => i));
}

/**
 * The frozen body's pooled activations, computed once in inference mode: `views` augmented versions
 * of every training image (epoch e uses view e % views) and the validation images (centre crop). Training the head on these is
 * exact (the frozen body is a fixed function), so an epoch costs a few small matrix products.
 */
export class FeatureCache {
  private constructor(
    readonly dim: number,
    readonly views: number,
    readonly bodyVersion: number,
    private readonly train: Float32Array[],
    private readonly trainLabels: Int32Array,
    private readonly valid: Float32Array,
    private readonly validLabels: Int32Array,
  ) {}

  get trainCount(): number {
    return this.trainLabels.length;
  }

  get validCount(): number {
    return this.validLabels.length;
  }

  /** Bytes of host memory held. */
  get bytes(): number {
    return (this.train.reduce((a, v) => a + v.byteLength, 0) + this.valid.byteLength + this.trainLabels.byteLength + this.validLabels.byteLength);
  }

  static async build(data: LearnerData, body: tfl.LayersModel, options: FeatureCacheOptions): Promise<FeatureCache> {
    const views = Math.max(1, Math.floor(options.views));
    const total = views * data.train.length + data.valid.length;
    let done = 0;
    options.onProgress?.({ phase: 'features', done, total });
    interface Run {
      split: 'train' | 'valid';
      view: number;
      expected: number;
      length?: number;
      it?: AsyncIterator<Batch>;
      first?: Promise<IteratorResult<Batch>>;
    }
    // Starts a run's loader: it decodes its first batches from here on.
    const begin = (run: Run) => {
      if (run.it) return;
      const loader = data.loader(run.split, {
        batchSize: options.batchSize,
        size: options.size,
        shuffle: false,
        // Train views are augmented like the loader's training batches, so the head learns what the
        // unfrozen phase will show it (a head fitted to clean crops overfits and then degrades).
        augment: run.split === 'train',
        normalize: options.normalize,
        epoch: run.view,
        concurrency: options.concurrency,
        dropLast: false,
        ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
        ...(options.validResize ? { validResize: options.validResize } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.codec ? { codec: options.codec } : {}),
      });
      // A loader without a length (any AsyncIterable) yields ceil(expected / batchSize) batches: dropLast is off.
      const length = (loader as { length?: unknown }).length;
      run.length = typeof length === 'number' ? length : Math.ceil(run.expected / options.batchSize);
      run.it = loader[Symbol.asyncIterator]();
      run.first = run.it.next();
      // Awaited when the run's turn comes; this only keeps an early failure from counting as unhandled.
      run.first.catch(() => {});
    };
    const extract = async (run: Run, next: Run | undefined) => {
      const { split, expected } = run;
      let out: Float32Array | undefined;
      const labels = new Int32Array(expected);
      let n = 0;
      let k = 0;
      begin(run);
      for (let r = await run.first!; !r.done; r = await run.it!.next()) {
        const b = r.value;
        // The next view's first batch decodes during this view's last forward passes, not after them
        // (the second core sat idle at every view's start).
        if (next && ++k >= run.length! - 1) begin(next);
        const pooled = fusedInference(body, options.fuse ?? false, () => tf.tidy(() => concatPool(body.apply(b.x, { training: false }) as tf.Tensor4D)));
        const vals = (await pooled.data()) as Float32Array;
        const dim = pooled.shape[1];
        const bs = pooled.shape[0];
        pooled.dispose();
        out ??= new Float32Array(expected * dim);
        if (n + bs > expected) throw new LearnerError(`the ${split} loader yielded more images than the dataset lists (${expected})`);
        out.set(vals, n * dim);
        labels.set((await b.y.data()) as Int32Array, n);
        n += bs;
        done += bs;
        options.onProgress?.({ phase: 'features', done, total });
      }
      if (n !== expected) throw new LearnerError(`the ${split} loader yielded ${n} images, the dataset lists ${expected}`);
      return { feats: out ?? new Float32Array(0), labels };
    };
    const runs: Run[] = Array.from({ length: views }, (_, v) => ({ split: 'train' as const, view: v, expected: data.train.length }));
    if (data.valid.length) runs.push({ split: 'valid', view: 0, expected: data.valid.length });
    const results: Array<{ feats: Float32Array; labels: Int32Array }> = [];
    try {
      for (let i = 0; i < runs.length; i++) results.push(await extract(runs[i]!, runs[i + 1]));
    } finally {
      // A failure leaves a started next view: stop its decoding and free its batches.
      await Promise.all(runs.map((r) => r.it?.return?.().catch(() => undefined)));
    }
    const train = results.slice(0, views).map((r) => r.feats);
    const trainLabels = results[0]?.labels ?? new Int32Array(0);
    const valid = data.valid.length ? results[views]! : { feats: new Float32Array(0), labels: new Int32Array(0) };
    const dim = data.train.length ? train[0]!.length / data.train.length : 0;
    return new FeatureCache(dim, views, options.bodyVersion, train, trainLabels, valid.feats, valid.labels);
  }

  /** One epoch of shuffled batches of view `epoch % views`; drops the last partial batch like fastai's train loader. */
  *trainBatches(epoch: number, batchSize: number, seed: number): Generator<{ x: tf.Tensor2D; y: tf.Tensor1D }> {
    const n = this.trainCount;
    const feats = this.train[epoch % this.views]!;
    const order = permutation(n, (seed * 1000003 + epoch) >>> 0);
    const batches = n > batchSize ? Math.floor(n / batchSize) : 1;
    const size = Math.min(batchSize, n);
    for (let b = 0; b < batches; b++) {
      const x = new Float32Array(size * this.dim);
      const y = new Int32Array(size);
      for (let i = 0; i < size; i++) {
        const idx = order[b * size + i]!;
        x.set(feats.subarray(idx * this.dim, (idx + 1) * this.dim), i * this.dim);
        y[i] = this.trainLabels[idx]!;
      }
      yield { x: tf.tensor2d(x, [size, this.dim]), y: tf.tensor1d(y, 'int32') };
    }
  }

  /** A head's logits on the cached validation activations, 256 rows at a time, and the labels of each part. */
  validLogits(head: (x: tf.Tensor2D) => tf.Tensor2D): { logits: tf.Tensor2D[]; labels: tf.Tensor1D[] } {
    const logits: tf.Tensor2D[] = [];
    const labels: tf.Tensor1D[] = [];
    for (let s = 0; s < this.validCount; s += 256) {
      const e = Math.min(this.validCount, s + 256);
      logits.push(tf.tidy(() => head(tf.tensor2d(this.valid.slice(s * this.dim, e * this.dim), [e - s, this.dim]))));
      labels.push(tf.tensor1d(this.validLabels.slice(s, e), 'int32'));
    }
    return { logits, labels };
  }

  dispose(): void {
    this.train.length = 0;
  }
}
