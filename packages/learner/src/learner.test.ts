import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ImageDataset } from '@bears/data/node';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cnnLearner } from './cnn-learner.js';
import { evenMults } from './learning-rates.js';
import type { Learner } from './learner.js';
import { customArch } from './archs.js';
import { loadLearner } from './export-node.js';
import { accuracy, errorRate } from './metrics.js';
import { checkpointCallback, progressCallback, type Callback } from './callbacks.js';
import { cpuBackend, registerBackend, useBackend } from '@bears/backend';
import { makeImageFolder, makeTinyModelFolder, tempDir, wasm } from './test-support/fixtures.js';
import { unitStats } from './normalization.js';
import { lrFindSvg } from './plot.js';

let dataRoot = '';
let modelDir = '';
let dataset: ImageDataset;

beforeAll(async () => {
  await wasm();
  dataRoot = await makeImageFolder({ perClass: 12, size: 40 });
  modelDir = await makeTinyModelFolder();
  dataset = await ImageDataset.fromFolder(dataRoot, { validPct: 0.25, seed: 1, size: 32 });
});

async function tinyLearner(extra: Parameters<typeof cnnLearner>[1] = {}): Promise<Learner> {
  const lines: string[] = [];
  const learn = await cnnLearner(dataset, {
    arch: customArch({ source: modelDir, cut: 'feat', normalize: unitStats, inputSize: 32 }),
    batchSize: 8,
    modelDir: await tempDir(),
    log: (l) => lines.push(l),
    seed: 3,
    ...extra,
  });
  (learn as unknown as { lines: string[] }).lines = lines;
  return learn;
}

const logOf = (l: Learner) => (l as unknown as { lines: string[] }).lines;

async function bodyValues(l: Learner): Promise<Float32Array[]> {
  return Promise.all(l.body.model.weights.map(async (w) => new Float32Array(await w.read().data())));
}

describe('cnnLearner', () => {
  it('builds the fastai head and three layer groups, frozen', async () => {
    const learn = await tinyLearner();
    expect(learn.head.layers.map((l) => l.getClassName())).toEqual(['BatchNormalization', 'Dropout', 'Dense', 'BatchNormalization', 'Dropout', 'Dense']);
    expect(learn.head.inputs[0]!.shape).toEqual([null, 32]); // concat of max + avg pool over 16 channels
    expect((learn.head.layers[2] as unknown as { units: number }).units).toBe(512);
    expect(learn.head.outputs[0]!.shape).toEqual([null, 3]);
    expect(learn.layerGroups.map((g) => g.length)).toEqual([3, 3, 8]);
    expect(learn.isFrozen).toBe(true);
    expect(learn.layerGroups[0]!.every((v) => !v.trainable)).toBe(true);
    learn.unfreeze();
    expect(learn.layerGroups.flat().every((v) => v.trainable)).toBe(true);
    learn.freeze();
    expect(learn.layerGroups[1]!.some((v) => v.trainable)).toBe(false);
    learn.dispose();
  });

  it('rejects bad data and options with clear errors', async () => {
    await expect(cnnLearner({ classes: ['a'], train: [], valid: [], loader: () => [] as never })).rejects.toThrow(/at least 2 classes/);
    await expect(cnnLearner(dataset, { arch: 'vgg99' })).rejects.toThrow(/unknown arch 'vgg99' \(known: mobilenet_v1_0.75, darknet_tiny, resnet18/);
    await expect(cnnLearner(dataset, { arch: 'resnet18' })).rejects.toThrow(/no published TensorFlow.js ImageNet weights: pass pretrained: false/);
    await expect(cnnLearner(dataset, { arch: customArch({ source: modelDir, cut: 'nope' }) })).rejects.toThrow(/no layer named 'nope'/);
    const learn = await tinyLearner();
    await expect(learn.fitOneCycle(0)).rejects.toThrow(/epochs must be a positive integer/);
    await expect(tinyLearner({ validResize: 'zoom' as never })).rejects.toThrow(/validResize must be 'crop', 'squish' or 'pad', got zoom/);
    await expect(learn.fitOneCycle(1, [1e-3, 1e-5])).rejects.toThrow(/0 < lo <= hi/);
    learn.dispose();
  });

  it('even_mults spreads [lo, hi] geometrically over the groups', () => {
    const m = evenMults(1e-5, 1e-3, 3);
    expect(m[0]).toBeCloseTo(1e-5, 10);
    expect(m[1]).toBeCloseTo(1e-4, 9);
    expect(m[2]).toBeCloseTo(1e-3, 8);
  });
});

describe('frozen training on cached activations', () => {
  it('learns, prints the fastai table, keeps the body (BN running stats included) untouched and memory flat', async () => {
    const learn = await tinyLearner({ metrics: [errorRate, accuracy], cacheViews: 2 });
    const before = await bodyValues(learn);
    await learn.fitOneCycle(1, 1e-3); // creates the optimizer's slots
    const tensors = tf.memory().numTensors;
    const res = await learn.fitOneCycle(6, 1e-2);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(res.epochs.length).toBe(6);
    const first = res.epochs[0]!;
    const last = res.epochs[5]!;
    expect(last.validLoss).toBeLessThan(first.validLoss);
    expect(last.metrics.error_rate).toBeLessThanOrEqual(0.2);
    expect(last.metrics.accuracy! + last.metrics.error_rate!).toBeCloseTo(1, 6);
    const lines = logOf(learn);
    expect(lines.some((l) => /^epoch\s+train_loss\s+valid_loss\s+error_rate\s+accuracy\s+time/.test(l))).toBe(true);
    expect(lines.some((l) => /^5\s+\d\.\d{6}\s+\d\.\d{6}\s+\d\.\d{6}\s+\d\.\d{6}\s+00:\d\d/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith(`cached body activations: ${dataset.train.length} train images x 2 augmented views + ${dataset.valid.length} valid`))).toBe(true);
    const after = await bodyValues(learn);
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i]!)));
    // Recorder: one entry per step, one-cycle lr shape (up then down), momentum the other way.
    const rec = learn.recorder;
    expect(rec.losses.length).toBe(7 * 3);
    expect(rec.epochs.length).toBe(7);
    const head = rec.lrs.slice(3).map((l) => l[2]!);
    const peak = head.indexOf(Math.max(...head));
    expect(peak).toBeGreaterThan(0);
    expect(head[head.length - 1]!).toBeLessThan(head[0]!);
    expect(rec.moms[3 + peak]).toBeCloseTo(0.85, 2);
    for (const png of [await rec.plotLosses(), await rec.plotLr(), await rec.plotMetrics()]) {
      expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    }
    learn.dispose();
  });

  it('recomputing the body every step (no cache) trains the same way, body still frozen', async () => {
    const learn = await tinyLearner({ featureCache: false });
    const before = await bodyValues(learn);
    const res = await learn.fitOneCycle(2, 1e-2);
    expect(res.epochs.length).toBe(2);
    expect(logOf(learn).some((l) => l.includes('cached body activations'))).toBe(false);
    const after = await bodyValues(learn);
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i]!)));
    learn.dispose();
  });

  it("trainBn (fastai's train_bn): a frozen body's batch-norm scales and shifts train, nothing else in the body moves", async () => {
    const learn = await tinyLearner({ trainBn: true });
    const names = learn.body.model.weights.map((w) => w.originalName);
    const before = await bodyValues(learn);
    await learn.fitOneCycle(2, 1e-2);
    expect(logOf(learn).some((l) => l.includes('cached body activations'))).toBe(false);
    const after = await bodyValues(learn);
    const changed = names.filter((_, i) => after[i]!.some((v, j) => v !== before[i]![j]));
    expect(changed.length).toBeGreaterThan(0);
    for (const n of changed) expect(n).toMatch(/(gamma|beta)$/);
    learn.dispose();
  });

  it('stops on divergence saying the learning rate is too high', async () => {
    const learn = await tinyLearner({ batchSize: 4 });
    const res = await learn.fitOneCycle(8, 1e4);
    expect(res.stopped).toMatch(/diverged.*learning rate is too high/);
    expect(logOf(learn).some((l) => /learning rate is too high/.test(l))).toBe(true);
    learn.dispose();
  });

  it('runs callbacks (and stops when one asks)', async () => {
    const learn = await tinyLearner();
    const seen: string[] = [];
    const cb: Callback = {
      onFitBegin: () => void seen.push('fit'),
      onEpochBegin: (e) => void seen.push(`epoch${e.epoch}`),
      onBatchEnd: (e) => void seen.push(`b${e.batch}/${e.batches}`),
      onEpochEnd: (e) => (seen.push(`end${e.epoch}:${e.record!.validLoss > 0}`), e.epoch === 1 ? 'stop' : undefined),
      onFitEnd: (e) => void seen.push(`done:${e.stopped}`),
    };
    const res = await learn.fitOneCycle(5, 1e-3, { callbacks: [cb] });
    expect(res.epochs.length).toBe(2);
    expect(seen).toEqual(['fit', 'epoch0', 'b0/3', 'b1/3', 'b2/3', 'end0:true', 'epoch1', 'b0/3', 'b1/3', 'b2/3', 'end1:true', 'done:stopped by a callback']);
    learn.dispose();
  });
});

describe('built-in callbacks', () => {
  it('progress prints a bar per batch; checkpoint saves on improvement of the monitored metric', async () => {
    const learn = await tinyLearner();
    const out: string[] = [];
    const saved: string[] = [];
    const orig = learn.save.bind(learn);
    learn.save = async (name: string) => (saved.push(name), orig(name));
    await learn.fitOneCycle(3, 1e-2, { callbacks: [progressCallback((s) => out.push(s)), checkpointCallback('best', { monitor: 'valid_loss' })] });
    expect(out.some((l) => /epoch 3\/3 \[#{30}\] 3\/3 loss \d\.\d{4}/.test(l))).toBe(true);
    const losses = learn.recorder.epochs.map((e) => e.validLoss);
    const improvements = losses.filter((v, i) => losses.slice(0, i).every((p) => v < p)).length;
    expect(saved.length).toBe(improvements);
    await expect(learn.fitOneCycle(1, 1e-3, { callbacks: [checkpointCallback('x', { monitor: 'nope' })] })).rejects.toThrow(/no metric named 'nope'/);
    learn.dispose();
  });
});

describe('lrFind', () => {
  it('suggests a learning rate and restores the weights and optimizer', async () => {
    const learn = await tinyLearner();
    await learn.fitOneCycle(1, 1e-3);
    const before = await Promise.all([...learn.namedWeights().values()].map(async (w) => Array.from(await w.read().data())));
    const res = await learn.lrFind({ numIt: 40 });
    expect(res.lrs.length).toBeGreaterThan(10);
    expect(res.suggestion).toBeGreaterThan(1e-7);
    expect(res.suggestion).toBeLessThan(10);
    const after = await Promise.all([...learn.namedWeights().values()].map(async (w) => Array.from(await w.read().data())));
    expect(after).toEqual(before);
    expect(learn.recorder.epochs.length).toBe(1);
    const png = await res.plot();
    expect(png.length).toBeGreaterThan(1000);
    learn.dispose();
  });
});

describe('progress and plots', () => {
  it('reports feature extraction and the LR sweep through onProgress, and marks every suggestion', async () => {
    const learn = await tinyLearner();
    const seen: Array<{ phase: string; done: number; total: number }> = [];
    await learn.prepareFeatures({ onProgress: (p) => seen.push(p) });
    const total = 2 * dataset.train.length + dataset.valid.length;
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((p) => p.phase === 'features' && p.total === total)).toBe(true);
    expect(seen[seen.length - 1]!.done).toBe(total);
    const sweep: number[] = [];
    const res = await learn.lrFind({ numIt: 20, onProgress: (p) => p.phase === 'lr-find' && p.total === 20 && sweep.push(p.done) });
    expect(sweep).toEqual(Array.from({ length: res.lrs.length }, (_, i) => i + 1));
    const svg = lrFindSvg(res);
    for (const name of ['valley', 'steep', 'min/10']) expect(svg).toContain(`>${name} `);
    learn.dispose();
  });

  it('the losses plot marks where the body was unfrozen', async () => {
    const learn = await tinyLearner();
    await learn.fitOneCycle(1, 1e-3);
    const steps = learn.recorder.losses.length;
    learn.unfreeze();
    expect(learn.recorder.phases[learn.recorder.phases.length - 1]).toEqual({ step: steps, label: 'unfrozen' });
    await learn.fitOneCycle(1, [1e-5, 1e-4]);
    expect(learn.recorder.plotLossesSvg()).toContain('>unfrozen</text>');
    learn.dispose();
  });
});

describe('unfrozen training', () => {
  it('trains the body with discriminative learning rates and splits batches to fit a memory budget', async () => {
    const learn = await tinyLearner({ memoryBudgetBytes: 3e6 });
    await learn.fitOneCycle(1, 1e-2);
    learn.unfreeze();
    const before = await bodyValues(learn);
    const tensors = tf.memory().numTensors;
    const res = await learn.fitOneCycle(2, [1e-4, 1e-2]);
    expect(res.epochs.length).toBe(2);
    expect(tf.memory().numTensors).toBe(tensors + 12); // AdamW slots (m, v) for the 6 body variables, created once
    const lrs = learn.recorder.lrs[learn.recorder.lrs.length - 1]!;
    expect(lrs[1]! / lrs[0]!).toBeCloseTo(10, 4);
    expect(lrs[2]! / lrs[1]!).toBeCloseTo(10, 4);
    const after = await bodyValues(learn);
    expect(after.some((a, i) => a.some((v, j) => v !== before[i]![j]))).toBe(true);
    expect(logOf(learn).some((l) => /memory: a training step needs about .* so each batch of 8 runs as \d+ micro-batches of \d+ with gradient accumulation/.test(l))).toBe(true);
    learn.dispose();
  });

  it("freezeTo(1) trains the later body group and the head, leaving the first group's weights as they were (fastai's freeze_to)", async () => {
    const learn = await tinyLearner({ physicalBatchSize: 8 });
    await learn.fitOneCycle(1, 1e-2);
    expect(() => learn.freezeTo(3)).toThrow(/expected a layer group 0, 1 or 2, got 3/);
    learn.freezeTo(1);
    expect(learn.isFrozen).toBe(false);
    expect(learn.layerGroups[0]!.some((v) => v.trainable)).toBe(false);
    expect(learn.layerGroups[1]!.every((v) => v.trainable)).toBe(true);
    const read = (g: number) => Promise.all(learn.layerGroups[g]!.map(async (v) => new Float32Array(await v.data())));
    const [g0, g1] = [await read(0), await read(1)];
    await learn.fitOneCycle(1, [1e-4, 1e-2]);
    expect(await read(0)).toEqual(g0);
    expect((await read(1)).some((a, i) => a.some((v, j) => v !== g1[i]![j]))).toBe(true);
    // A checkpoint keeps the group: loading it goes on training the same layers.
    await learn.save('from1');
    learn.freeze();
    await learn.load('from1');
    expect(learn.trainsFrom).toBe(1);
    expect(learn.layerGroups[0]!.some((v) => v.trainable)).toBe(false);
    learn.freezeTo(2);
    expect(learn.isFrozen).toBe(true);
    learn.freezeTo(0);
    expect(learn.layerGroups.flat().every((v) => v.trainable)).toBe(true);
    learn.dispose();
  });

  it("freezeTo(1) with trainBn also trains the first group's batch-norm scales and shifts (fastai's freeze_to with train_bn)", async () => {
    const learn = await tinyLearner({ physicalBatchSize: 8, trainBn: true });
    learn.freezeTo(1);
    const group0 = new Set(learn.body.groups[0]!.flatMap((l) => l.weights.map((w) => w.read())));
    const names = learn.body.model.weights.map((w) => w.originalName);
    const inGroup0 = learn.body.model.weights.map((w) => group0.has(w.read()));
    expect(names.some((n, i) => inGroup0[i] && /gamma$/.test(n))).toBe(true);
    const before = await bodyValues(learn);
    await learn.fitOneCycle(1, [1e-2, 1e-2]);
    const after = await bodyValues(learn);
    const changed0 = names.filter((_, i) => inGroup0[i] && after[i]!.some((v, j) => v !== before[i]![j]));
    expect(changed0.length).toBeGreaterThan(0);
    for (const n of changed0) expect(n).toMatch(/(gamma|beta)$/);
    // The later group trains whole.
    expect(names.some((n, i) => !inGroup0[i] && !/(gamma|beta|moving_mean|moving_variance)$/.test(n) && after[i]!.some((v, j) => v !== before[i]![j]))).toBe(true);
    learn.dispose();
  });

  it("without a learning rate, fitOneCycle uses fastai v1's default slice(3e-3): the body groups at a tenth; a number is every group's", async () => {
    const learn = await tinyLearner({ physicalBatchSize: 8 });
    learn.unfreeze();
    await learn.fitOneCycle(1);
    const peak = (k: number) => Math.max(...learn.recorder.lrs.map((l) => l[k]!));
    expect(peak(2)).toBeCloseTo(3e-3, 8);
    expect(peak(0)).toBeCloseTo(3e-4, 8);
    expect(peak(1)).toBeCloseTo(3e-4, 8);
    await learn.fitOneCycle(1, 1e-3);
    const last = learn.recorder.lrs.slice(-1)[0]!;
    expect(last[0]).toBeCloseTo(last[2]!, 12);
    learn.dispose();
  });

  it('gradient accumulation gives the same step as the whole batch (BN on running stats)', async () => {
    const results: number[][] = [];
    for (const physicalBatchSize of [8, 2]) {
      const learn = await tinyLearner({ physicalBatchSize, head: { ps: [0, 0] } });
      learn.unfreeze();
      // The head's BN uses batch statistics, which differ per micro-batch; freeze them for this comparison.
      for (const l of learn.head.layers) if (l.getClassName() === 'BatchNormalization') l.trainable = false;
      const learnAny = learn as unknown as { trainStep(b: unknown): Promise<number>; logits(x: tf.Tensor, f: boolean, t: boolean): tf.Tensor };
      const orig = learnAny.logits.bind(learn);
      learnAny.logits = (x, f, _t) => orig(x, f, false);
      const x = tf.randomUniform([8, 32, 32, 3], -1, 1, 'float32', 5);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
      const loss = await learnAny.trainStep({ x, y, features: false });
      results.push([loss, ...(await learn.layerGroups[0]![0]!.data())]);
      tf.dispose([x, y]);
      learn.dispose();
    }
    expect(results[1]![0]).toBeCloseTo(results[0]![0]!, 4);
    results[1]!.slice(1).forEach((v, i) => expect(v).toBeCloseTo(results[0]![i + 1]!, 4));
  });
});

describe('micro-batches', () => {
  it("planning them leaves every batch norm's running statistics as they were", async () => {
    const learn = await tinyLearner({ memoryBudgetBytes: 3e6 });
    learn.unfreeze();
    const stats = () => [...learn.body.model.nonTrainableWeights, ...learn.head.nonTrainableWeights].map((w) => Array.from(w.read().dataSync()));
    const before = stats();
    expect(before.length).toBeGreaterThan(0);
    const x = tf.randomUniform([8, 32, 32, 3], -1, 1, 'float32', 5);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const planned = await (learn as unknown as { physicalBatch(b: unknown): Promise<number> }).physicalBatch({ x, y, features: false });
    expect(planned).toBeLessThan(8);
    expect(stats()).toEqual(before);
    tf.dispose([x, y]);
    learn.dispose();
  });

  it('keep the head batch norm on its running statistics while a batch is accumulated', async () => {
    const learn = await tinyLearner({ physicalBatchSize: 2 });
    learn.unfreeze();
    const bn = learn.head.getLayer('head_bn1');
    const before = Array.from(bn.getWeights()[2]!.dataSync());
    await learn.fitOneCycle(1, 1e-3);
    expect(Array.from(bn.getWeights()[2]!.dataSync())).toEqual(before);
    learn.dispose();
    const whole = await tinyLearner();
    whole.unfreeze();
    const bn2 = whole.head.getLayer('head_bn1');
    const before2 = Array.from(bn2.getWeights()[2]!.dataSync());
    await whole.fitOneCycle(1, 1e-3);
    expect(Array.from(bn2.getWeights()[2]!.dataSync())).not.toEqual(before2);
    whole.dispose();
  });
});

describe('checkpoints', () => {
  it('save/load round-trips weights, optimizer state and the recorder; load checks files', async () => {
    const learn = await tinyLearner();
    await learn.fitOneCycle(2, 1e-2);
    const dir = await learn.save('stage1');
    const weights = await Promise.all([...learn.namedWeights().values()].map(async (w) => Array.from(await w.read().data())));
    await learn.fitOneCycle(1, 1e-2);
    await learn.load('stage1');
    const restored = await Promise.all([...learn.namedWeights().values()].map(async (w) => Array.from(await w.read().data())));
    expect(restored).toEqual(weights);
    expect(learn.recorder.epochs.length).toBe(2);
    expect(learn.epochsTrained).toBe(2);
    // A second save replaces the first atomically (no temp folders left behind).
    await learn.save('stage1');
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(path.dirname(dir))).sort()).toEqual(['stage1']);
    const wfile = path.join(dir, 'weights.bin');
    const bytes = await readFile(wfile);
    bytes[20] ^= 0xff;
    await writeFile(wfile, bytes);
    await expect(learn.load('stage1')).rejects.toThrow(/weights.bin: sha256 does not match checkpoint.json/);
    await expect(learn.load('missing')).rejects.toThrow(/missing\/checkpoint.json: no such checkpoint/);
    learn.dispose();
  });

  it('an interrupted fit resumes from its last checkpoint', async () => {
    const modelDirCk = await tempDir();
    const learn = await tinyLearner({ modelDir: modelDirCk });
    const crash: Callback = { onEpochEnd: (e) => { if (e.epoch === 1) throw new Error('power cut'); } };
    await expect(learn.fitOneCycle(4, 1e-2, { checkpoint: 'run', callbacks: [crash] })).rejects.toThrow('power cut');
    learn.dispose();
    const fresh = await tinyLearner({ modelDir: modelDirCk });
    const res = await fresh.fitOneCycle(4, 1e-2, { checkpoint: 'run', resume: 'run' });
    expect(logOf(fresh).some((l) => /resuming from checkpoint 'run': 2 of 4 epochs already done/.test(l))).toBe(true);
    expect(res.epochs.map((e) => e.epoch)).toEqual([2, 3]);
    expect(fresh.recorder.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    expect(fresh.recorder.losses.length).toBe(12);
    // A finished run is not trained again.
    const again = await fresh.fitOneCycle(4, 1e-2, { resume: 'run' });
    expect(again.epochs.length).toBe(4);
    fresh.dispose();
  });
});

describe('export, loadLearner, predict', () => {
  it('exports a standalone model that predicts like the learner; corrupt or incompatible folders fail clearly', async () => {
    const learn = await tinyLearner();
    await learn.fitOneCycle(3, 1e-2);
    const out = path.join(await tempDir(), 'model');
    await learn.export(out);
    const meta = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'bears-learner', formatVersion: 1, classes: dataset.classes, inputSize: 32, normalize: unitStats, resize: 'squish', output: 'probabilities' });
    expect(Object.keys(meta.files).sort()).toEqual(['model.json', 'weights.bin']);
    const files = dataset.valid.map((i) => i.file);
    const expected = await learn.predictBatch(files);
    const loaded = await loadLearner(out);
    const got = await loaded.predictBatch(files);
    got.forEach((g, i) => {
      expect(g.label).toBe(expected[i]!.label);
      g.probabilities.forEach((p, j) => expect(p).toBeCloseTo(expected[i]!.probabilities[j]!, 5));
    });
    const one = await loaded.predict(await readFile(files[0]!));
    expect(one.label).toBe(dataset.classes[one.index]);
    expect(one.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const t = tf.fill([50, 60, 3], 128);
    expect((await loaded.predict(t as tf.Tensor3D)).probabilities.length).toBe(3);
    t.dispose();
    // The same folder on another backend (the cpu reference) predicts the same.
    registerBackend(cpuBackend);
    await useBackend('cpu', { env: null });
    try {
      const onCpu = await loadLearner(out);
      const cpuPreds = await onCpu.predictBatch(files);
      cpuPreds.forEach((g, i) => g.probabilities.forEach((p, j) => expect(p).toBeCloseTo(expected[i]!.probabilities[j]!, 4)));
      onCpu.dispose();
    } finally {
      await wasm();
    }
    // A wide photo is squished whole, as validation saw it; an export without 'resize' (older) centre-crops.
    const wide = path.join(await tempDir(), 'wide.png');
    const { default: sharp } = await import('sharp');
    await sharp(files[0]!).resize(120, 40, { fit: 'fill' }).toFile(wide);
    const asSquished = await sharp(wide).resize(32, 32, { fit: 'fill' }).png().toBuffer();
    const asCropped = await sharp(wide).resize(32, 32, { fit: 'cover' }).png().toBuffer();
    const close = (a: number[], b: number[]) => a.forEach((p, j) => expect(p).toBeCloseTo(b[j]!, 2));
    close((await loaded.predict(wide)).probabilities, (await loaded.predict(asSquished)).probabilities);
    const wideT = tf.tensor3d(new Float32Array(await sharp(wide).removeAlpha().raw().toBuffer()), [40, 120, 3]);
    expect((await loaded.predict(wideT)).probabilities.length).toBe(3);
    wideT.dispose();
    const old = path.join(await tempDir(), 'model');
    await cp(out, old, { recursive: true });
    const { resize: _resize, ...oldMeta } = meta;
    await writeFile(path.join(old, 'metadata.json'), JSON.stringify(oldMeta));
    const oldLoaded = await loadLearner(old);
    close((await oldLoaded.predict(wide)).probabilities, (await oldLoaded.predict(asCropped)).probabilities);
    oldLoaded.dispose();
    await expect(loaded.predict('/no/such.jpg')).rejects.toThrow(/cannot read \/no\/such.jpg/);
    await expect(loaded.predict(new Uint8Array([1, 2, 3]))).rejects.toThrow(/cannot decode image bytes/);
    loaded.dispose();

    const bad = path.join(await tempDir(), 'model');
    await cp(out, bad, { recursive: true });
    const w = await readFile(path.join(bad, 'weights.bin'));
    w[100] ^= 0xff;
    await writeFile(path.join(bad, 'weights.bin'), w);
    await expect(loadLearner(bad)).rejects.toThrow(/weights.bin: sha256 does not match metadata.json/);
    await rm(path.join(bad, 'weights.bin'));
    await expect(loadLearner(bad)).rejects.toThrow(/weights.bin: is missing or unreadable \(ENOENT\)/);
    await writeFile(path.join(bad, 'metadata.json'), JSON.stringify({ ...meta, formatVersion: 99, libraryVersion: '9.0.0' }));
    await expect(loadLearner(bad)).rejects.toThrow(/metadata.json: has export format version 99 \(written by @bears\/learner 9.0.0\)/);
    await rm(path.join(bad, 'metadata.json'));
    await expect(loadLearner(bad)).rejects.toThrow(/metadata.json: is missing or unreadable/);
    learn.dispose();
  });

  it('predictBatch decodes the next batch during this one: the same predictions as one by one; the first bad input in list order fails', async () => {
    const learn = await tinyLearner();
    const out = path.join(await tempDir(), 'model');
    await learn.export(out);
    learn.dispose();
    const loaded = await loadLearner(out);
    const files = [...dataset.valid, ...dataset.train].slice(0, 11).map((i) => i.file);
    const single: Array<Awaited<ReturnType<typeof loaded.predictBatch>>> = [];
    for (const f of files) single.push(await loaded.predictBatch([f], { batchSize: 1 }));
    // The same batch sizes as one by one, so the same floats: only the decoding overlapped.
    expect((await loaded.predictBatch(files, { batchSize: 1 })).map((p) => p.probabilities)).toEqual(single.map((p) => p[0]!.probabilities));
    const batched = await loaded.predictBatch(files, { batchSize: 4 });
    batched.forEach((g, i) => g.probabilities.forEach((p, j) => expect(p).toBeCloseTo(single[i]![0]!.probabilities[j]!, 5)));
    // Two broken inputs in one batch, the later one failing first (no file read): the earlier one is reported.
    const broken = [files[0]!, '/no/such-first.jpg', files[1]!, new Uint8Array([1, 2, 3]), files[2]!];
    await expect(loaded.predictBatch(broken, { batchSize: 8 })).rejects.toThrow(/cannot read \/no\/such-first.jpg/);
    // A failure in the batch decoded ahead surfaces once its turn comes, never as an unhandled rejection.
    await expect(loaded.predictBatch([...files.slice(0, 4), '/no/such-later.jpg'], { batchSize: 2 })).rejects.toThrow(/such-later/);
    loaded.dispose();
  });
});

describe('dispose', () => {
  it('frees every tensor of a learner that trained, built its inference graph and predicted', async () => {
    const before = tf.memory().numTensors;
    const learn = await tinyLearner();
    await learn.fitOneCycle(1, 1e-2);
    await learn.predict(dataset.valid[0]!.file);
    learn.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
