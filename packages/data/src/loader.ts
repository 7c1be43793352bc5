import { codecForRuntime, detectRuntime, type ImageCodec } from '@bears/backend';
import * as tf from '@tensorflow/tfjs-core';
import { decodeAugmented, decodeForModel, ImageLoadError } from './preprocess.js';
import { checkNormalization, imagenetStats, type Normalization } from './normalization.js';
import { Rng } from './prng.js';
import { augTransforms, isValidResize, type AugmentOptions, type ValidResize } from './transforms.js';
import type { Batch, Item, Split } from './types.js';

export interface LoaderOptions {
  /** Images per batch (default 64). */
  batchSize?: number;
  /** Shuffle the order each epoch (default: train yes, valid no). */
  shuffle?: boolean;
  /** Random augmentation (default: train yes, valid no). Validation-style batches get a deterministic centre crop. */
  augment?: boolean;
  /** Augmentation settings (defaults: the lesson's RandomResizedCrop(min_scale 0.5) + aug_transforms). `resize` also picks the validation fit. */
  transforms?: AugmentOptions;
  /**
   * How validation-style (non-augmented) batches fit an image to the square: 'crop' (centre crop),
   * 'squish' (the whole image, aspect ratio changed) or 'pad'. Default: 'crop' when `transforms.resize`
   * is randomResizedCrop or crop, else that method.
   */
  validResize?: ValidResize;
  /** Output side in pixels (default: the dataset's size). */
  size?: number;
  /** Default imagenetStats. */
  normalize?: Normalization;
  /** Default: the dataset's seed. */
  seed?: number;
  /** Mixed into the shuffle and augmentation seeds (default 0). Iterating the same loader again moves on to the next epoch. */
  epoch?: number;
  /** Images decoded at once (default: 2 x CPU cores, 2..8). */
  concurrency?: number;
  /**
   * Batches prepared ahead of the one being consumed (default 2). 0: none; each batch is decoded
   * when asked for, so decoding never competes with the consumer's work (a forward pass on every core).
   */
  prefetch?: number;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** A broken image: 'throw' (default) an ImageLoadError naming it, or 'skip' it with a warning. */
  onError?: 'throw' | 'skip';
  /** Where skip warnings go (default console.warn). */
  onSkip?: (error: ImageLoadError) => void;
  /** The active backend's image codec, which decodes every image (default: the runtime's codec). */
  codec?: ImageCodec;
  /** Reads the bytes of an item that carries none (a folder dataset passes its file reader). */
  read?: (file: string) => Promise<Uint8Array>;
}

/** Reads files in Node when no reader was given (a specifier bundlers do not follow: Node only). */
async function defaultRead(file: string): Promise<Uint8Array> {
  if (detectRuntime() !== 'node') throw new ImageLoadError(file, 'the item has no bytes and the loader has no read() for files');
  const spec = './image.js';
  return ((await import(/* @vite-ignore */ spec)) as typeof import('./image.js')).readImageFile(file);
}

/** Images decoded at once by default: 2 per core, 2..8 (decodes overlap each other and the forward pass). */
export function defaultConcurrency(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  return Math.max(2, Math.min(8, 2 * cores));
}

/** A seeded, prefetching batch iterator over a list of items; memory stays bounded by prefetch x batch. */
export class BatchLoader implements AsyncIterable<Batch> {
  readonly items: readonly Item[];
  readonly split: Split;
  readonly batchSize: number;
  readonly size: number;
  readonly shuffle: boolean;
  readonly augment: boolean;
  readonly dropLast: boolean;
  readonly normalize: Normalization;
  readonly seed: number;
  /** The epoch the next iteration runs (advances by one per iteration). */
  epoch: number;
  /** Number of batches per epoch. */
  readonly length: number;
  /** Running totals over this loader's life: images decoded and images skipped (onError 'skip'). */
  readonly stats = { decoded: 0, skipped: 0 };
  /** The fit of non-augmented images. */
  readonly validResize: ValidResize;
  private readonly transforms: Required<AugmentOptions>;
  private readonly concurrency: number;
  private readonly prefetch: number;
  private readonly onError: 'throw' | 'skip';
  private readonly onSkip: (error: ImageLoadError) => void;
  private readonly codecOption?: ImageCodec;
  private readonly read: (file: string) => Promise<Uint8Array>;
  private codecPromise?: Promise<ImageCodec>;

  constructor(items: readonly Item[], split: Split, options: LoaderOptions & { size: number; seed: number }) {
    this.items = items;
    this.split = split;
    this.batchSize = int(options.batchSize ?? 64, 'batchSize', 1);
    this.size = int(options.size, 'size', 1);
    this.shuffle = options.shuffle ?? split === 'train';
    this.augment = options.augment ?? split === 'train';
    this.dropLast = options.dropLast ?? false;
    this.normalize = checkNormalization(options.normalize ?? imagenetStats);
    this.seed = options.seed;
    this.epoch = int(options.epoch ?? 0, 'epoch', 0);
    this.transforms = augTransforms(options.transforms);
    const fallback = this.transforms.resize === 'randomResizedCrop' ? 'crop' : this.transforms.resize;
    if (options.validResize !== undefined && !isValidResize(options.validResize)) {
      throw new RangeError(`validResize must be 'crop', 'squish' or 'pad', got ${String(options.validResize)}`);
    }
    this.validResize = options.validResize ?? fallback;
    this.concurrency = int(options.concurrency ?? defaultConcurrency(), 'concurrency', 1);
    this.codecOption = options.codec;
    this.read = options.read ?? defaultRead;
    this.prefetch = int(options.prefetch ?? 2, 'prefetch', 0);
    this.onError = options.onError ?? 'throw';
    if (this.onError !== 'throw' && this.onError !== 'skip') throw new RangeError(`onError must be 'throw' or 'skip', got ${String(this.onError)}`);
    this.onSkip = options.onSkip ?? ((e) => console.warn(`[bears/data] skipped ${e.file}: ${e.reason}`));
    this.length = this.dropLast ? Math.floor(items.length / this.batchSize) : Math.ceil(items.length / this.batchSize);
  }

  /** The codec images are decoded with (the one given, else the runtime's). */
  codec(): Promise<ImageCodec> {
    this.codecPromise ??= this.codecOption ? Promise.resolve(this.codecOption) : codecForRuntime();
    return this.codecPromise;
  }

  /** The item order of an epoch (the seeded shuffle, or the list order). */
  order(epoch = this.epoch): Item[] {
    const order = [...this.items];
    if (this.shuffle) new Rng(this.seed, 'shuffle', epoch).shuffle(order);
    return order;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    const epoch = this.epoch++;
    const order = this.order(epoch);
    const nBatches = this.length;
    const limit = new Semaphore(this.concurrency);
    let cancelled = false;
    let started = 0;
    const pending: Array<Promise<Assembled>> = [];
    const startNext = () => {
      const p = this.assemble(order, started++, epoch, limit, () => cancelled);
      p.catch(() => {}); // awaited later; this only keeps Node from calling it unhandled meanwhile
      pending.push(p);
    };
    let current: Batch | undefined;
    try {
      while (started < nBatches && pending.length <= this.prefetch) startNext();
      for (;;) {
        // prefetch 0: the next batch starts only when asked for, not while the consumer works.
        if (pending.length === 0 && started < nBatches) startNext();
        if (pending.length === 0) break;
        const assembled = await pending.shift()!;
        if (started < nBatches && this.prefetch > 0) startNext();
        if (assembled.items.length === 0) continue;
        const n = assembled.items.length;
        const s = this.size;
        const x = tf.tensor4d(assembled.data.subarray(0, n * s * s * 3), [n, s, s, 3], 'float32');
        const y = tf.tensor1d(assembled.labels.subarray(0, n), 'int32');
        current = { x, y, items: assembled.items };
        yield current;
        dispose(current);
        current = undefined;
      }
    } finally {
      cancelled = true;
      if (current) dispose(current);
    }
  }

  private async assemble(order: Item[], index: number, epoch: number, limit: Semaphore, isCancelled: () => boolean): Promise<Assembled> {
    const start = index * this.batchSize;
    const batchItems = order.slice(start, Math.min(order.length, start + this.batchSize));
    const s = this.size;
    const per = s * s * 3;
    const data = new Float32Array(batchItems.length * per);
    const ok = new Array<boolean>(batchItems.length).fill(false);
    const errors: Array<ImageLoadError | undefined> = [];
    await Promise.all(batchItems.map(async (item, k) => {
      await limit.acquire();
      try {
        if (isCancelled()) return;
        const codec = await this.codec();
        const bytes = item.bytes ?? (await this.read(item.file));
        if (this.augment) {
          // Seeded per (epoch, position): results do not depend on decode order or concurrency.
          const rng = new Rng(this.seed, 'augment', epoch, start + k);
          await decodeAugmented(codec, bytes, { size: s, augment: this.transforms, rng, normalize: this.normalize, name: item.file }, data, k * per);
        } else {
          await decodeForModel(codec, bytes, { size: s, resize: this.validResize, normalize: this.normalize, name: item.file }, data, k * per);
        }
        ok[k] = true;
        this.stats.decoded++;
      } catch (err) {
        errors[k] = err instanceof ImageLoadError ? err : new ImageLoadError(item.file, (err as Error).message ?? String(err), { cause: err });
      } finally {
        limit.release();
      }
    }));
    const firstError = errors.find(Boolean);
    if (firstError && this.onError === 'throw') throw firstError;
    for (const e of errors) if (e) { this.stats.skipped++; this.onSkip(e); }
    const labels = new Int32Array(batchItems.length);
    const items: Item[] = [];
    // Compact the rows that decoded (all of them unless onError is 'skip').
    for (let k = 0; k < batchItems.length; k++) {
      if (!ok[k]) continue;
      const row = items.length;
      if (row !== k) data.copyWithin(row * per, k * per, (k + 1) * per);
      labels[row] = batchItems[k]!.label;
      items.push(batchItems[k]!);
    }
    return { data, labels, items };
  }
}

interface Assembled {
  data: Float32Array;
  labels: Int32Array;
  items: Item[];
}

function dispose(b: Batch): void {
  b.x.dispose();
  b.y.dispose();
}

class Semaphore {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) { this.free = n; }
  acquire(): Promise<void> {
    if (this.free > 0) { this.free--; return Promise.resolve(); }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function int(v: number | undefined, name: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}
