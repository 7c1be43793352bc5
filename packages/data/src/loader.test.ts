import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageDataset } from './dataset-node.js';
import { ImageLoadError, loadImageTensor } from './image.js';
import { imagenetStats, inceptionStats } from './normalization.js';
import { showBatch } from './show-batch.js';
import { cleanupTempDirs, colourDataset, COLOURS, solidImage, stripedImage, tempDir } from './test-helpers.js';
import type { Batch } from './types.js';

const BEARS = fileURLToPath(new URL('../../../../shared/data/bears', import.meta.url));

beforeAll(async () => {
  await useBackend('wasm', { env: null });
});
afterAll(cleanupTempDirs);

async function collect(loader: AsyncIterable<Batch>): Promise<Array<{ x: Float32Array; y: number[]; shape: number[]; files: string[] }>> {
  const out = [];
  for await (const b of loader) out.push({ x: (await b.x.data()) as Float32Array, y: Array.from(await b.y.data()), shape: b.x.shape, files: b.items.map((i) => i.file) });
  return out;
}

describe('batch loader on synthetic colours', () => {
  let root: string;
  let ds: ImageDataset;
  beforeAll(async () => {
    root = await colourDataset({ red: 9, green: 8, blue: 8 });
    ds = await ImageDataset.fromFolder(root, { size: 16, validPct: 0.2 });
  });

  it('yields normalized float32 batches whose labels match the pixels', async () => {
    const loader = ds.loader('valid', { batchSize: 4 });
    expect(loader.length).toBe(Math.ceil(ds.valid.length / 4));
    const batches = await collect(loader);
    expect(batches).toHaveLength(loader.length);
    for (const b of batches) {
      const n = b.y.length;
      expect(b.shape).toEqual([n, 16, 16, 3]);
      for (let k = 0; k < n; k++) {
        const rgb = COLOURS[ds.classes[b.y[k]!]!]!;
        // Centre crop of a solid PNG: every pixel is the class colour, normalized with ImageNet stats.
        for (const p of [0, 100, 255]) {
          for (let c = 0; c < 3; c++) expect(b.x[k * 768 + p * 3 + c]).toBeCloseTo((rgb[c]! / 255 - imagenetStats.mean[c]!) / imagenetStats.std[c]!, 4);
        }
        expect(path.basename(b.files[k]!).startsWith(ds.classes[b.y[k]!]!)).toBe(true);
      }
    }
    // Valid: no shuffle, list order.
    expect(batches.flatMap((b) => b.files)).toEqual(ds.valid.map((i) => i.file));
  });

  it('shuffles reproducibly per seed and epoch, and dropLast drops the ragged batch', async () => {
    const a = await collect(ds.loader('train', { batchSize: 5, augment: false }));
    const b = await collect(ds.loader('train', { batchSize: 5, augment: false }));
    const e1 = await collect(ds.loader('train', { batchSize: 5, augment: false, epoch: 1 }));
    const files = (r: typeof a) => r.flatMap((x) => x.files);
    expect(files(a)).toEqual(files(b));
    expect(files(e1)).not.toEqual(files(a));
    expect([...files(e1)].sort()).toEqual([...files(a)].sort());
    expect(files(a)).not.toEqual(ds.train.map((i) => i.file));
    const dl = ds.loader('train', { batchSize: 7, dropLast: true });
    expect(dl.length).toBe(Math.floor(ds.train.length / 7));
    const got = await collect(dl);
    expect(got).toHaveLength(dl.length);
    expect(got.every((g) => g.y.length === 7)).toBe(true);
  });

  it('augments reproducibly, independent of decode concurrency; a second pass is the next epoch', async () => {
    const one = await collect(ds.loader('train', { batchSize: 8, concurrency: 1, prefetch: 0 }));
    const many = await collect(ds.loader('train', { batchSize: 8, concurrency: 6, prefetch: 3 }));
    expect(one.map((b) => Array.from(b.x))).toEqual(many.map((b) => Array.from(b.x)));
    const loader = ds.loader('train', { batchSize: 8 });
    const first = await collect(loader);
    expect(loader.epoch).toBe(1);
    const second = await collect(loader);
    expect(first[0]!.files).not.toEqual(second[0]!.files);
    const epoch1 = await collect(ds.loader('train', { batchSize: 8, epoch: 1 }));
    expect(epoch1.map((b) => Array.from(b.x))).toEqual(second.map((b) => Array.from(b.x)));
  });

  it('every resize method keeps a solid image solid; pad with zeros adds black borders', async () => {
    for (const resize of ['randomResizedCrop', 'crop', 'squish', 'pad'] as const) {
      const [b] = await collect(ds.loader('train', { batchSize: 4, transforms: { resize, maxLighting: 0 } }));
      for (let k = 0; k < b!.y.length; k++) {
        const rgb = COLOURS[ds.classes[b!.y[k]!]!]!;
        const expected = (rgb[0]! / 255 - imagenetStats.mean[0]!) / imagenetStats.std[0]!;
        for (let p = 0; p < 256; p += 17) expect(b!.x[k * 768 + p * 3]).toBeCloseTo(expected, 3);
      }
    }
    // Images are 40..72 x 30..50: padding to a square brings in black rows when padMode is zeros.
    const [padded] = await collect(ds.loader('valid', { batchSize: 2, transforms: { resize: 'pad' } }));
    const black = (0 - imagenetStats.mean[0]!) / imagenetStats.std[0]!;
    expect(padded!.x[0]).toBeCloseTo(black, 3);
    const [zeros] = await collect(ds.loader('train', { batchSize: 2, transforms: { resize: 'pad', padMode: 'zeros', maxLighting: 0, maxRotate: 0, maxWarp: 0, maxZoom: 1 } }));
    expect(Array.from(zeros!.x.subarray(0, 768)).some((v) => Math.abs(v - black) < 1e-3)).toBe(true);
  });

  it('disposes tensors: flat across a loop, after a break, and after an error', async () => {
    const before = tf.memory().numTensors;
    for await (const b of ds.loader('train', { batchSize: 4 })) {
      expect(tf.memory().numTensors).toBe(before + 2);
      tf.tidy(() => { tf.mean(b.x); });
    }
    expect(tf.memory().numTensors).toBe(before);
    for await (const b of ds.loader('train', { batchSize: 4 })) {
      expect(b.x.isDisposed).toBe(false);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
    let kept: Batch | undefined;
    for await (const b of ds.loader('valid', { batchSize: 2 })) { kept = b; break; }
    expect(kept!.x.isDisposed).toBe(true);
  });

  it('keeps memory bounded: a 10,000-image epoch decodes only what is consumed plus the prefetch', async () => {
    const one = ds.train[0]!;
    const big = Array.from({ length: 10_000 }, (_, i) => ({ file: one.file, label: i % 3 }));
    const { BatchLoader } = await import('./loader.js');
    const loader = new BatchLoader(big, 'train', { size: 16, seed: 1, batchSize: 16, prefetch: 2 });
    expect(loader.length).toBe(625);
    const before = tf.memory().numTensors;
    let seen = 0;
    for await (const b of loader) {
      expect(tf.memory().numTensors).toBe(before + 2);
      if (++seen === 3) { expect(b.x.shape[0]).toBe(16); break; }
    }
    // 3 consumed + at most 2 prefetched batches (+1 being started) were decoded, not 10,000 images.
    expect(loader.stats.decoded).toBeLessThanOrEqual(16 * 6);
    expect(loader.stats.decoded).toBeGreaterThanOrEqual(16 * 3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prefetch 0 decodes nothing while the consumer holds a batch, and gives the same batches in the same order', async () => {
    const one = ds.train[0]!;
    const items = Array.from({ length: 50 }, (_, i) => ({ file: one.file, label: i % 3 }));
    const { BatchLoader } = await import('./loader.js');
    const loader = new BatchLoader(items, 'train', { size: 16, seed: 1, batchSize: 16, prefetch: 0 });
    const before = tf.memory().numTensors;
    const sizes: number[] = [];
    for await (const b of loader) {
      sizes.push(b.x.shape[0]!);
      const decoded = loader.stats.decoded;
      // Time for any started decode to land: none may have started.
      await new Promise((r) => setTimeout(r, 50));
      expect(loader.stats.decoded).toBe(decoded);
      expect(decoded).toBe(sizes.reduce((a, n) => a + n, 0));
      expect(tf.memory().numTensors).toBe(before + 2);
    }
    expect(sizes).toEqual([16, 16, 16, 2]);
    expect(tf.memory().numTensors).toBe(before);
    // The same pixels, labels and order as the prefetching loader (augmented and shuffled: seeded per position).
    const opts = { size: 16, seed: 3, batchSize: 16 };
    const ahead = await collect(new BatchLoader(items.map((it, i) => ({ ...it, label: i % 3 })), 'train', { ...opts, prefetch: 2 }));
    const lazy = await collect(new BatchLoader(items.map((it, i) => ({ ...it, label: i % 3 })), 'train', { ...opts, prefetch: 0 }));
    expect(lazy.map((b) => b.y)).toEqual(ahead.map((b) => b.y));
    lazy.forEach((b, i) => expect(Array.from(b.x)).toEqual(Array.from(ahead[i]!.x)));
    // With prefetch 1 the next batch is decoded while the consumer holds this one.
    const eager = new BatchLoader(items, 'train', { ...opts, prefetch: 1 });
    for await (const b of eager) {
      await new Promise((r) => setTimeout(r, 200));
      expect(eager.stats.decoded).toBeGreaterThan(b.x.shape[0]!);
      break;
    }
  });

  it('names a corrupt file, or skips it with a warning', async () => {
    const dirty = await colourDataset({ red: 5, blue: 5 });
    const bad = path.join(dirty, 'red', 'red_002.png');
    const good = await fs.readFile(bad);
    await fs.writeFile(bad, good.subarray(0, good.length >> 1));
    await fs.writeFile(path.join(dirty, 'blue', 'page.jpg'), '<!DOCTYPE html><html></html>');
    const d = await ImageDataset.fromFolder(dirty, { size: 8, validPct: 0 });
    const before = tf.memory().numTensors;
    const err = await collect(d.loader('train', { batchSize: 4 })).catch((e) => e);
    expect(err).toBeInstanceOf(ImageLoadError);
    expect(err.message).toMatch(/Cannot load image .*(red_002\.png|page\.jpg)/);
    expect(tf.memory().numTensors).toBe(before);
    const skipped: string[] = [];
    const batches = await collect(d.loader('train', { batchSize: 4, onError: 'skip', onSkip: (e) => skipped.push(`${path.basename(e.file)}: ${e.reason}`) }));
    // 11 files listed, 2 broken.
    expect(batches.reduce((n, b) => n + b.y.length, 0)).toBe(9);
    expect(skipped.sort()).toEqual([expect.stringMatching(/^page\.jpg: not an image \(HTML/), expect.stringMatching(/^red_002\.png: png data is corrupt or truncated/)]);
    await fs.rm(bad);
    await fs.rm(path.join(dirty, 'blue', 'page.jpg'));
    await expect(collect(d.loader('train', { batchSize: 4 }))).rejects.toThrow(/(red_002\.png|page\.jpg): file not found/);
  });

  it('loadImageTensor gives a centre-cropped [1, size, size, 3] tensor', async () => {
    const file = path.join(await tempDir(), 'wide.png');
    await stripedImage(file);
    const t = await loadImageTensor(file, { size: 10, normalize: inceptionStats });
    expect(t.shape).toEqual([1, 10, 10, 3]);
    const v = await t.data();
    const centre = (5 * 10 + 5) * 3;
    for (let c = 0; c < 3; c++) expect(v[centre + c]).toBeCloseTo(COLOURS.blue![c]! / 127.5 - 1, 2);
    t.dispose();
    // Encoded bytes (an upload) work the same way.
    const fromBytes = await loadImageTensor(new Uint8Array(await fs.readFile(file)), { size: 10, normalize: inceptionStats });
    expect(Array.from(await fromBytes.data())).toEqual(Array.from(v));
    fromBytes.dispose();
    await expect(loadImageTensor(new TextEncoder().encode('<html></html>'))).rejects.toThrow(/\(image bytes\): not an image/);
    await expect(loadImageTensor(path.join(root, 'nope.jpg'))).rejects.toThrow(/nope\.jpg: file not found/);
  });

  it('validResize picks the fit of validation batches: crop keeps the centre, squish the whole image', async () => {
    const dir = await tempDir();
    await stripedImage(path.join(dir, 'stripes', 'a.png'));
    await solidImage(path.join(dir, 'other', 'b.png'), COLOURS.red!);
    const ds = await ImageDataset.fromFolder(dir, { validPct: 0, size: 12, normalize: inceptionStats });
    const item = ds.train.filter((i) => i.file.endsWith('a.png'));
    const { BatchLoader } = await import('./loader.js');
    // Pixels at x = 1 and x = 6 of the middle row (away from the stripes' edges, where Lanczos rings).
    const leftPixel = async (validResize?: 'crop' | 'squish' | 'pad') => {
      const loader = new BatchLoader(item, 'valid', { size: 12, seed: 1, normalize: inceptionStats, ...(validResize ? { validResize } : {}) });
      for await (const b of loader) {
        const v = await b.x.data();
        const row = 6 * 12 * 3;
        return [Array.from(v.slice(row + 3, row + 6)), Array.from(v.slice(row + 18, row + 21))];
      }
      throw new Error('no batch');
    };
    const scaled = (c: [number, number, number]) => c.map((x) => x / 127.5 - 1);
    const [cropLeft, cropMid] = await leftPixel();
    cropLeft!.forEach((x, c) => expect(x).toBeCloseTo(scaled(COLOURS.blue!)[c]!, 1));
    cropMid!.forEach((x, c) => expect(x).toBeCloseTo(scaled(COLOURS.blue!)[c]!, 1));
    const [squishLeft, squishMid] = await leftPixel('squish');
    squishLeft!.forEach((x, c) => expect(x).toBeCloseTo(scaled(COLOURS.red!)[c]!, 1));
    squishMid!.forEach((x, c) => expect(x).toBeCloseTo(scaled(COLOURS.blue!)[c]!, 1));
    expect(() => new BatchLoader(item, 'valid', { size: 12, seed: 1, validResize: 'randomResizedCrop' as never })).toThrow(/validResize must be/);
  });

  it('showBatch writes a labelled PNG grid', async () => {
    const out = path.join(await tempDir(), 'grid', 'batch.png');
    let result;
    for await (const b of ds.loader('train', { batchSize: 6, size: 32 })) {
      result = await showBatch(b, out, { classes: ds.classes, cols: 3 });
      break;
    }
    expect(result).toMatchObject({ count: 6, width: 3 * (96 + 6) + 6 });
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', result!.width, result!.height]);
    // Caption text is drawn: the caption strip under the first image is not plain white.
    const { data, info } = await sharp(out).extract({ left: 6, top: 6 + 96, width: 96, height: 20 }).raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (let i = 0; i < data.length; i += info.channels) if (data[i]! < 128) dark++;
    expect(dark).toBeGreaterThan(10);
  });
});

describe('the lesson data through the loader (wasm)', () => {
  it('feeds a few batches of ../shared/data/bears at size 64', async () => {
    const ds = await ImageDataset.fromFolder(BEARS, { size: 64, normalize: inceptionStats });
    const before = tf.memory().numTensors;
    const loader = ds.loader('train', { batchSize: 16 });
    expect(loader.length).toBe(Math.ceil(ds.train.length / 16));
    let n = 0;
    for await (const { x, y, items } of loader) {
      expect(x.shape).toEqual([16, 64, 64, 3]);
      expect(y.dtype).toBe('int32');
      const [min, max, mean] = tf.tidy(() => [tf.min(x), tf.max(x), tf.mean(x)].map((t) => t.dataSync()[0]!));
      expect(min).toBeGreaterThanOrEqual(-1 - 1e-6);
      expect(max).toBeLessThanOrEqual(1 + 1e-6);
      expect(Math.abs(mean!)).toBeLessThan(0.8);
      expect(Array.from(y.dataSync())).toEqual(items.map((i) => i.label));
      if (++n === 3) break;
    }
    expect(tf.memory().numTensors).toBe(before);
    const valid = ds.loader('valid', { batchSize: 32 });
    for await (const { x } of valid) {
      expect(x.shape).toEqual([32, 64, 64, 3]);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
