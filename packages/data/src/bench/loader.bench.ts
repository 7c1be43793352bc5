/**
 * Decode + resize + augment throughput on ../shared/data/bears (images/s), in one run:
 * - naive: a sequential loop that decodes each image at full size (sharp), then crops, resizes,
 *   flips, rotates and lights it with tfjs ops, one image at a time;
 * - sequential: this package's pipeline (shrink-on-load + one fused resample), one image at a time;
 * - loader: `dataset.loader('train')` with its default decode concurrency and prefetch.
 * Run with `npm run bench` (under `flock /tmp/bears-cpu.lock` on a shared machine).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { sharpCodec } from '@bears/backend/node';
import * as tf from '@tensorflow/tfjs-core';
import { ImageDataset } from '../dataset-node.js';
import { readImageFile } from '../image.js';
import { decodeAugmented } from '../preprocess.js';
import { imagenetStats } from '../normalization.js';
import { Rng } from '../prng.js';
import { augTransforms, sampleAugment } from '../transforms.js';
import type { Item } from '../types.js';

const BEARS = process.env.BEARS_DATA ?? fileURLToPath(new URL('../../../../../shared/data/bears', import.meta.url));
const SIZE = Number(process.env.BENCH_SIZE ?? 224);
const N = Number(process.env.BENCH_IMAGES ?? 192);
const BATCH = 32;

async function main(): Promise<void> {
  const backend = await useBackend('wasm', { env: null });
  const ds = await ImageDataset.fromFolder(BEARS, { size: SIZE });
  const items = ds.loader('train', { augment: false }).order(0).slice(0, N);
  const aug = augTransforms();

  // Warm-up: sharp, the wasm kernels and the JIT.
  await naive(items.slice(0, 4), aug);
  await sequential(items.slice(0, 4), aug);

  const naiveS = await timed(() => naive(items, aug));
  const seqS = await timed(() => sequential(items, aug));
  const loaderS = await timed(async () => {
    const sub = Object.create(ds, { train: { value: items } }) as ImageDataset;
    let n = 0;
    for await (const b of sub.loader('train', { batchSize: BATCH, shuffle: false })) n += b.items.length;
    if (n !== items.length) throw new Error(`loader gave ${n} images, expected ${items.length}`);
  });

  const rate = (s: number) => items.length / s;
  const rows = [
    ['naive (full decode + tfjs ops, sequential)', naiveS],
    ['pipeline, sequential (concurrency 1)', seqS],
    ['loader (default concurrency + prefetch)', loaderS],
  ] as const;
  console.log(`\n@bears/data loader benchmark: ${items.length} bear images -> ${SIZE}x${SIZE}, train augmentation, backend ${backend.name}, ${os.availableParallelism()} cores`);
  console.log(`${'method'.padEnd(46)} ${'seconds'.padStart(8)} ${'images/s'.padStart(9)}`);
  for (const [name, s] of rows) console.log(`${name.padEnd(46)} ${s.toFixed(2).padStart(8)} ${rate(s).toFixed(1).padStart(9)}`);
  console.log(JSON.stringify({
    bench: 'data-loader',
    images: items.length,
    size: SIZE,
    backend: backend.name,
    cores: os.availableParallelism(),
    naive_images_per_s: round(rate(naiveS)),
    sequential_images_per_s: round(rate(seqS)),
    loader_images_per_s: round(rate(loaderS)),
    loader_vs_naive_ratio: round(naiveS / loaderS),
    loader_vs_sequential_ratio: round(seqS / loaderS),
    sequential_vs_naive_ratio: round(naiveS / seqS),
  }));
}

/** What a first attempt looks like: full-size decode, tfjs image ops per image, one at a time. */
async function naive(items: Item[], aug: ReturnType<typeof augTransforms>): Promise<void> {
  const mean = tf.tensor1d(imagenetStats.mean);
  const std = tf.tensor1d(imagenetStats.std);
  let batch: tf.Tensor3D[] = [];
  for (let i = 0; i < items.length; i++) {
    const rgb = await sharpCodec.decodeRgb(new Uint8Array(await fs.readFile(items[i]!.file)));
    const p = sampleAugment(new Rng(1, i), rgb.width, rgb.height, aug);
    const out = tf.tidy(() => {
      const img = tf.cast(tf.tensor4d(rgb.data, [1, rgb.height, rgb.width, 3], 'int32'), 'float32');
      const box = [p.crop.y / rgb.height, p.crop.x / rgb.width, (p.crop.y + p.crop.height) / rgb.height, (p.crop.x + p.crop.width) / rgb.width];
      let x: tf.Tensor4D = tf.image.cropAndResize(img, tf.tensor2d([box], [1, 4]), tf.tensor1d([0], 'int32'), [SIZE, SIZE]);
      if (p.flip) x = tf.image.flipLeftRight(x);
      if (p.rotate) x = tf.image.rotateWithOffset(x, (p.rotate * Math.PI) / 180, 0);
      const v = tf.clipByValue(tf.div(x, 255), 1e-5, 1 - 1e-5);
      const logit = tf.log(tf.div(v, tf.sub(1, v)));
      const lit = tf.sigmoid(tf.add(tf.mul(logit, p.contrast), Math.log(p.brightness / (1 - p.brightness))));
      return tf.div(tf.sub(tf.reshape(lit, [SIZE, SIZE, 3]), mean), std) as tf.Tensor3D;
    });
    batch.push(out);
    if (batch.length === BATCH || i === items.length - 1) {
      const stacked = tf.stack(batch);
      await stacked.data();
      stacked.dispose();
      for (const t of batch) t.dispose();
      batch = [];
    }
  }
  mean.dispose();
  std.dispose();
}

/** This package's per-image pipeline without concurrency or prefetch. */
async function sequential(items: Item[], aug: ReturnType<typeof augTransforms>): Promise<void> {
  const per = SIZE * SIZE * 3;
  for (let start = 0; start < items.length; start += BATCH) {
    const chunk = items.slice(start, start + BATCH);
    const data = new Float32Array(chunk.length * per);
    for (let k = 0; k < chunk.length; k++) {
      await decodeAugmented(sharpCodec, await readImageFile(chunk[k]!.file), { size: SIZE, augment: aug, rng: new Rng(1, start + k), normalize: imagenetStats }, data, k * per);
    }
    const x = tf.tensor4d(data, [chunk.length, SIZE, SIZE, 3]);
    await x.data();
    x.dispose();
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
