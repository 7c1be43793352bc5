import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { activeBackend } from '@bears/backend';
import { ImageDataset as MemoryDataset } from '@bears/data';
import { ImageDataset } from '@bears/data/node';
import { customArch } from './archs.js';
import { exportToFiles, loadExport } from './export.js';
import { cnnLearner } from './cnn-learner.js';
import type { Learner } from './learner.js';
import { unitStats } from './normalization.js';
import { makeImageFolder, makeTinyModelFolder, tempDir, wasm } from './test-support/fixtures.js';

let dataset: ImageDataset;
let modelDir = '';
let learn: Learner;

beforeAll(async () => {
  const backend = await wasm();
  const root = await makeImageFolder({ perClass: 8, size: 40 });
  modelDir = await makeTinyModelFolder();
  dataset = await ImageDataset.fromFolder(root, { validPct: 0.25, seed: 1, size: 32 });
  learn = await cnnLearner(dataset, {
    backend,
    arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }),
    batchSize: 8,
    modelDir: await tempDir(),
    log: () => {},
    seed: 3,
  });
  await learn.fitOneCycle(2, 1e-2);
});

afterAll(() => learn?.dispose());

describe('learner.getPreds', () => {
  it('gives items in dataset order, probabilities, targets, losses = cross-entropy of the probabilities, and pooled features', async () => {
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const preds = await learn.getPreds({ split: 'valid', withLoss: true, withFeatures: true, onProgress: (p) => progress.push(p.done) });
    expect(tf.memory().numTensors).toBe(before);
    const n = dataset.valid.length;
    expect(preds.items.map((i) => i.id)).toEqual(dataset.valid.map((i) => path.relative(dataset.root, i.file).split(path.sep).join('/')));
    expect(preds.items.every((i) => i.split === 'valid')).toBe(true);
    expect(preds.items.map((i) => i.label)).toEqual(dataset.valid.map((i) => dataset.classes[i.label]));
    expect(Array.from(preds.targets)).toEqual(dataset.valid.map((i) => i.label));
    expect(preds.classes).toEqual(dataset.classes);
    expect(preds.probs.length).toBe(n * 3);
    for (let i = 0; i < n; i++) {
      const row = preds.probs.subarray(i * 3, i * 3 + 3);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(preds.losses![i]).toBeCloseTo(-Math.log(row[preds.targets[i]!]!), 6);
    }
    // The tiny body ends in 16 channels: concat pool (max, avg) gives 32 features per image.
    expect(preds.featureDim).toBe(32);
    expect(preds.features!.length).toBe(n * 32);
    expect(progress[progress.length - 1]).toBe(n);
    // validate() and getPreds see the same images the same way: the mean loss is the validation loss.
    const val = await learn.validate();
    expect(preds.losses!.reduce((a, b) => a + b, 0) / n).toBeCloseTo(val.loss, 4);
  });

  it("split 'all' is train then valid; a bad split is a clear error", async () => {
    const all = await learn.getPreds({ split: 'all' });
    expect(all.items.length).toBe(dataset.train.length + dataset.valid.length);
    expect(all.items.slice(0, dataset.train.length).every((i) => i.split === 'train')).toBe(true);
    expect(all.losses).toBeUndefined();
    expect(all.features).toBeUndefined();
    await expect(learn.getPreds({ split: 'test' as never })).rejects.toThrow(/split must be 'train', 'valid' or 'all'/);
  });
});

describe('one preprocessing road', () => {
  it('for the same file, the validation batch row and the predict input are the same floats', async () => {
    const model = await loadExport({ files: await exportToFiles(learn) }, { backend: activeBackend() });
    const loader = dataset.loader('valid', { batchSize: dataset.valid.length, size: 32, normalize: unitStats, validResize: learn.validResize, augment: false, shuffle: false });
    for await (const b of loader) {
      const rows = (await b.x.data()) as Float32Array;
      const per = 32 * 32 * 3;
      for (const [i, item] of b.items.entries()) {
        const fromPath = await model.prepare(item.file);
        const fromBytes = await model.prepare(await readFile(item.file));
        expect(fromPath).toEqual(rows.slice(i * per, (i + 1) * per));
        expect(fromBytes).toEqual(fromPath);
      }
    }
    model.dispose();
  });
});

describe('exported model', () => {
  it('exportToFiles + loadExport (files map) give the learner getPreds, features included, and record where the body ends', async () => {
    const files = await exportToFiles(learn);
    expect(Object.keys(files).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const meta = JSON.parse(new TextDecoder().decode(files['metadata.json']));
    expect(meta.bodyOutput).toBe('feat');
    const model = await loadExport({ files }, { backend: activeBackend() });
    const a = await learn.getPreds({ split: 'all', withLoss: true, withFeatures: true });
    const b = await model.getPreds(dataset, { split: 'all', withLoss: true, withFeatures: true });
    expect(b.items).toEqual(a.items);
    expect(Array.from(b.targets)).toEqual(Array.from(a.targets));
    b.probs.forEach((p, i) => expect(p).toBeCloseTo(a.probs[i]!, 5));
    b.losses!.forEach((l, i) => expect(l).toBeCloseTo(a.losses![i]!, 4));
    expect(b.featureDim).toBe(a.featureDim);
    b.features!.forEach((f, i) => expect(f).toBeCloseTo(a.features![i]!, 4));
    const direct = await model.features([dataset.valid[0]!.file]);
    expect(direct.featureDim).toBe(32);
    Array.from(direct.features).forEach((f, i) => expect(f).toBeCloseTo(b.features![dataset.train.length * 32 + i]!, 4));
    model.dispose();
  });

  it('loads over HTTP from a URL (fetch), checks checksums, and refuses a modified file', async () => {
    const files = await exportToFiles(learn);
    let tamper = false;
    const server: Server = createServer((req, res) => {
      const name = (req.url ?? '').replace(/^\/model\//, '');
      const body = files[name];
      if (!body) return void res.writeHead(404).end();
      const out = tamper && name === 'weights.bin' ? Uint8Array.from(body, (v, i) => (i === 10 ? v ^ 0xff : v)) : body;
      res.writeHead(200, { 'content-length': String(out.byteLength) }).end(Buffer.from(out));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model/`;
    try {
      const model = await loadExport(url, { backend: activeBackend() });
      const file = dataset.valid[0]!.file;
      const p = await model.predict(await readFile(file));
      const q = await learn.predict(file);
      p.probabilities.forEach((v, j) => expect(v).toBeCloseTo(q.probabilities[j]!, 5));
      model.dispose();
      tamper = true;
      await expect(loadExport(url)).rejects.toThrow(/weights.bin: sha256 does not match metadata.json/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('in-memory data (what browsers and Workers use)', () => {
  it('ImageDataset.fromItems trains and predicts with no files, ids kept in getPreds', async () => {
    const items = await Promise.all(
      [...dataset.train, ...dataset.valid].map(async (it) => ({ id: `mem/${path.basename(it.file)}-${it.label}`, label: dataset.classes[it.label]!, bytes: new Uint8Array(await readFile(it.file)) })),
    );
    const mem = MemoryDataset.fromItems(items, { validPct: 0.25, seed: 1, size: 32 });
    expect(mem.classes).toEqual(dataset.classes);
    expect(mem.train.length + mem.valid.length).toBe(items.length);
    const l = await cnnLearner(mem, { backend: activeBackend(), arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8, log: () => {}, seed: 3 });
    await l.fitOneCycle(1, 1e-2);
    const preds = await l.getPreds({ split: 'valid' });
    expect(preds.items.map((i) => i.id)).toEqual(mem.valid.map((i) => i.id));
    l.dispose();
    expect(() => MemoryDataset.fromItems([{ id: 'a', label: 'x', bytes: new Uint8Array(1) }, { id: 'a', label: 'y', bytes: new Uint8Array(1) }])).toThrow(/id 'a' appears twice/);
    expect(() => MemoryDataset.fromItems([{ id: 'a', label: 'x', bytes: 'no' as never }])).toThrow(/needs bytes/);
  });
});
