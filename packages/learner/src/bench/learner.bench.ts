// Learner benchmarks on ../shared (wasm backend): frozen training with cached activations vs
// recomputing the body, unfrozen training GFLOP/s vs the forward pass's, predict latency, and the
// default recipe cross-validated over 5 stratified folds. Flags: --quick (cross-validate the recipe's frozen phase only,
// skipping the long unfrozen phase), --cv-only (only the cross-validation), --no-cv (the timing sections only),
// --size N (default 224), --recipe-time (the default recipe on fold 0 with and without the training workers),
// --unfreeze-check [FOLDS] (also unfreeze the default recipe's model on those folds, default
// all, for DEFAULT_RECIPE.lrRange and 2 epochs, and score it: does unfreezing improve on it? --unfreeze-from G,
// --unfreeze-lr A,B, --unfreeze-epochs N change that phase; --unfreeze-wise A,B also scores the weights
// frozen + A * (unfrozen - frozen)), --no-before (skip
// LESSON_RECIPE on fold 0, and so the time ratio), --heads N (the default recipe with N heads: an ablation),
// --tta-views N (augmented views in tta, default the recipe's: an ablation).
// Prints a table, then one JSON line with every figure (ratios in keys containing "ratio").
import { configureWasmThreads, wasmThreadCount } from '@bears/backend-wasm/node';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import { ImageDataset } from '@bears/data/node';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cnnLearner, DEFAULT_RECIPE as RECIPE, LESSON_RECIPE, loadLayersModelFrom, loadLearner, type Recipe } from '../node.js';
import { crossValidate, meanStd, suspectFiles, type FoldResult, type FoldScore } from './cv.js';
import { forwardFlops } from '../flops.js';

const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
const BEARS = path.join(SHARED, 'data/bears');
const MOBILENET = path.join(SHARED, 'models/mobilenet_v1_0.75_224');
// --quick: no unfrozen recipe; --threads-only: only the two-core figures; --no-threads: skip them;
// --ceiling-only: only two_process_forward_ceiling_ratio (one run each side);
// --threads-child N [--train-workers W]: internal (one core count's timings, as one JSON line).
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const cvOnly = args.includes('--cv-only');
/** The word after a flag; undefined when the flag is absent. */
function flag(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
/** A numeric flag, `fallback` when absent; a missing or non-numeric value is an error, not a silent default. */
function num(name: string, fallback: number): number {
  if (!args.includes(name)) return fallback;
  const v = Number(flag(name));
  if (!Number.isFinite(v)) throw new Error(`${name} expects a number, got '${flag(name) ?? ''}'`);
  return v;
}
/** A comma-separated numeric flag, undefined when absent; anything not a number is an error. */
function numList(name: string): number[] | undefined {
  if (!args.includes(name)) return undefined;
  const list = (flag(name) ?? '').split(',').map(Number);
  if (list.some((v) => !Number.isFinite(v)) || !flag(name)) throw new Error(`${name} expects numbers like 0.3,0.5, got '${flag(name) ?? ''}'`);
  return list;
}
const SIZE = num('--size', 224);
const DEFAULT_RECIPE: Recipe = args.includes('--heads') ? { ...RECIPE, heads: num('--heads', RECIPE.heads ?? 1) } : RECIPE;
const TTA_VIEWS = num('--tta-views', DEFAULT_RECIPE.ttaViews);
// --unfreeze-from G (train body groups from G on: fastai's freeze_to), --unfreeze-lr A,B, --unfreeze-epochs N,
// read at the start so that a mistyped value stops the run before its timing sections.
const unfreezeFrom = num('--unfreeze-from', 0);
const checkLr = numList('--unfreeze-lr') as [number, number] | undefined;
if (checkLr && checkLr.length !== 2) throw new Error(`--unfreeze-lr expects two learning rates A,B (body, head), got '${flag('--unfreeze-lr')}'`);
const checkEpochs = num('--unfreeze-epochs', 2);
// --unfreeze-wise A,B: also score frozen + A * (unfrozen - frozen), weight by weight (WiSE-FT).
const wiseAlphas = numList('--unfreeze-wise');
const refitArg = numList('--unfreeze-refit');
if (refitArg && refitArg.length !== 2) throw new Error(`--unfreeze-refit expects EPOCHS,LR, got '${flag('--unfreeze-refit')}'`);

const rows: Array<[string, string]> = [];
const out: Record<string, number | string> = {};
function report(key: string, value: number, label: string, unit = '', digits = 2): void {
  out[key] = Number(value.toFixed(4));
  rows.push([label, `${value.toFixed(digits)}${unit ? ' ' + unit : ''}`]);
  console.error(`  ${label}: ${value.toFixed(digits)} ${unit}`);
}

/** A folder of symlinks to the first n images of each class, so timing runs stay short. */
async function subset(perClass: number): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'bears-bench-'));
  for (const cls of ['black', 'grizzly', 'teddy']) {
    await mkdir(path.join(root, cls));
    const files = (await readdir(path.join(BEARS, cls))).sort().slice(0, perClass);
    for (const f of files) await symlink(path.join(BEARS, cls, f), path.join(root, cls, f));
  }
  return root;
}

const now = () => performance.now();
const quiet = () => {};

interface CoreTimes { threads: number; details: string; images: number; extract: number; predict: number; unfrozen: number; unfrozenImages: number }

/**
 * One core count's figures, in this (fresh) process: a warm-up round (file cache, decoder, JIT,
 * operator setup), then the measured one. Prints them as one JSON line for twoCores().
 */
async function threadsChild(threads: number, trainWorkers?: number): Promise<void> {
  configureWasmThreads(threads);
  const backend = await useBackend('wasm', { env: null });
  if (wasmThreadCount() !== threads) throw new Error(`asked for ${threads} wasm thread(s), got ${wasmThreadCount()}: ${backend.capabilities.details}`);
  // 27 images a class: 65 train images, one batch of the recipe's 64 (22 micro-batches of 3 on wasm).
  const root = await subset(27);
  const ds = await ImageDataset.fromFolder(root, { validPct: 0.2, seed: 42, size: SIZE });
  const files = (await readdir(path.join(BEARS, 'grizzly'))).sort().slice(0, 32).map((f) => path.join(BEARS, 'grizzly', f));
  const exportDir = await mkdtemp(path.join(tmpdir(), 'bears-bench-threads-'));
  const times: CoreTimes = { threads, details: backend.capabilities.details ?? '', images: ds.train.length * RECIPE.cacheViews + ds.valid.length, extract: 0, predict: 0, unfrozen: 0, unfrozenImages: 0 };
  for (let round = 0; round < 2; round++) {
    const lines: string[] = [];
    // Extraction as the default recipe runs it: its cached augmented views of every train image, then valid.
    const learn = await cnnLearner(ds, { pretrained: MOBILENET, cacheViews: RECIPE.cacheViews, seed: 42, log: (l) => lines.push(l), ...(trainWorkers ? { trainWorkers } : {}) });
    let t = now();
    await learn.prepareFeatures();
    times.extract = (now() - t) / 1000;
    if (round === 0) await learn.export(exportDir);
    learn.unfreeze();
    await learn.fitOneCycle(1, [1e-5, 3e-4]); // warm-up: gradient kernels, optimizer slots, memory plan, workers
    t = now();
    await learn.fitOneCycle(1, [1e-5, 3e-4]);
    times.unfrozen = (now() - t) / 1000;
    times.unfrozenImages = learn.trainBatchCount() * learn.options.batchSize;
    const workers = lines.find((l) => l.startsWith('unfrozen training:'));
    if (workers && round === 0) times.details += `; ${workers}`;
    await learn.closeWorkers();
    learn.dispose();
    const clf = await loadLearner(exportDir);
    await clf.startInferenceWorkers(); // 2 on the 2-core side, none on the 1-core one
    await clf.predictBatch(files, { batchSize: 16 }); // warm-up: the timed call once (operators set up)
    t = now();
    await clf.predictBatch(files, { batchSize: 16 });
    times.predict = (now() - t) / 1000;
    clf.dispose();
  }
  await rm(exportDir, { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
  console.log(JSON.stringify(times));
}

/**
 * Two cores against one. Each side runs in a fresh process restricted to that many cores
 * (Linux taskset; the wasm pool, sharp's decoders and V8 all share them), so "one core" means one
 * core, not one wasm thread beside an idle core that decoding and GC still use. Resizing the pool
 * inside one process was tried first and proved unreliable: the second 2-thread pool ran at
 * 1-thread speed or worse in some runs (predictBatch 1.18 s vs 0.59 s warm). The one-thread process
 * without the restriction is measured too (informational). Each kind runs twice, alternating; the
 * faster run counts. Wall clock, so meaningful only on an otherwise idle machine: the load is kept.
 */
async function twoCores(): Promise<void> {
  const run = promisify(execFile);
  const script = fileURLToPath(import.meta.url);
  const cores = availableParallelism();
  let pinning = true;
  const once = async (threads: number, pin: boolean, workers?: number): Promise<CoreTimes> => {
    const node = [process.execPath, script, '--threads-child', String(threads), '--size', String(SIZE), ...(workers ? ['--train-workers', String(workers)] : [])];
    if (pin && pinning && cores >= threads) {
      try {
        const { stdout } = await run('taskset', ['-c', `0-${threads - 1}`, ...node], { maxBuffer: 1 << 24 });
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as CoreTimes;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        pinning = false; // no taskset here: thread counts only
      }
    }
    const { stdout } = await run(node[0]!, node.slice(1), { maxBuffer: 1 << 24 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as CoreTimes;
  };
  out.load_before = loadavg().map((v) => v.toFixed(2)).join(' ');
  // two_threads: 2 cores, training on the wasm backend's 2 threads (no workers): the path before issue 16's workers.
  const kinds = [['two', 2, true, undefined], ['one', 1, true, undefined], ['two_threads', 2, true, 1], ['one_unpinned', 1, false, undefined]] as const;
  const best: Record<string, CoreTimes> = {};
  for (const order of [kinds, [...kinds].reverse()]) {
    for (const [name, threads, pin, workers] of order) {
      const t = await once(threads, pin, workers);
      console.error(`  ${name === 'one_unpinned' ? '1 thread, all cores' : `${threads} core(s)${workers ? `, ${workers} training worker` : ''}`}: extract ${t.extract.toFixed(2)} s, predictBatch ${t.predict.toFixed(2)} s, unfrozen epoch (${t.unfrozenImages} images) ${t.unfrozen.toFixed(2)} s (${t.details})`);
      const b = best[name];
      best[name] = b ? { ...b, extract: Math.min(b.extract, t.extract), predict: Math.min(b.predict, t.predict), unfrozen: Math.min(b.unfrozen, t.unfrozen) } : t;
    }
  }
  out.load_after = loadavg().map((v) => v.toFixed(2)).join(' ');
  const [two, one, loose, threadsOnly] = [best.two!, best.one!, best.one_unpinned!, best.two_threads!];
  out.threads_two_core = two.details;
  out.threads_one_core = pinning ? 'taskset -c 0' : 'one wasm thread (no taskset: not pinned)';
  report('threads_extract_images', two.images, `two cores: images extracted (${RECIPE.cacheViews} views + valid, as the recipe)`, '', 0);
  for (const [key, label] of [['extract', 'feature extraction'], ['predict', 'predictBatch(32 JPEGs)'], ['unfrozen', 'unfrozen epoch (the train images)']] as const) {
    out[`${key}_s_1core`] = Number(one[key].toFixed(3));
    out[`${key}_s_2core`] = Number(two[key].toFixed(3));
    out[`${key}_s_1thread_unpinned`] = Number(loose[key].toFixed(3));
    const ratioKey = key === 'unfrozen' ? 'two_core_unfrozen_epoch_ratio' : `two_core_${key}_ratio`;
    report(ratioKey, one[key] / two[key], `${label}, 2 cores vs 1`, 'x');
  }
  // Alternating, the faster of two runs each, like the timings above.
  await reportCeiling([1, 2, 2, 1], pinning && cores >= 2);
  out.unfrozen_s_2core_threads = Number(threadsOnly.unfrozen.toFixed(3));
  report('two_core_unfrozen_epoch_threads_ratio', one.unfrozen / threadsOnly.unfrozen, 'unfrozen epoch, 2 wasm threads (no workers) vs 1 core', 'x');
}

/**
 * Forward passes per second of the MobileNet body (batch 16, one wasm thread) in this process, from
 * the parent's "go" for `seconds`: see forwardCeiling().
 */
async function ceilingChild(seconds: number): Promise<void> {
  configureWasmThreads(1);
  await useBackend('wasm', { env: null });
  const body = await loadLayersModelFrom(MOBILENET);
  const x = tf.randomUniform([16, SIZE, SIZE, 3], -1, 1);
  const pass = () => tf.tidy(() => body.predict(x) as tf.Tensor).dataSync();
  pass();
  pass();
  console.log('ready');
  for await (const _ of createInterface({ input: process.stdin })) break;
  let n = 0;
  const t = now();
  while (now() - t < seconds * 1000) (pass(), n++);
  console.log(JSON.stringify({ rate: n / ((now() - t) / 1000) }));
}

/**
 * What two cores give two independent forward passes at all: `procs` processes (each pinned to its
 * own core where taskset exists) load the body, then run batch-16 forward passes at the same time;
 * their rates summed. Two busy cores can slow each other (shared caches and memory bandwidth, a
 * clock that drops, a VM's vCPUs sharing physical cores); predictBatch and extraction cannot scale
 * past the ratio of 2 processes to 1.
 */
async function forwardCeiling(procs: number, pin: boolean): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  const children = Array.from({ length: procs }, (_, i) => {
    const node = [process.execPath, script, '--ceiling-child', '6', '--size', String(SIZE)];
    return pin ? spawn('taskset', ['-c', String(i), ...node], { stdio: ['pipe', 'pipe', 'inherit'] }) : spawn(node[0]!, node.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  });
  const lines = children.map((c) => createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
  const next = async (i: number) => {
    const r = await lines[i]!.next();
    if (r.done) throw new Error('a forward-ceiling process exited early');
    return r.value as string;
  };
  try {
    await Promise.all(children.map((_, i) => next(i))); // each loaded and warm
    children.forEach((c) => c.stdin!.write('go\n'));
    const rates = await Promise.all(children.map(async (_, i) => (JSON.parse(await next(i)) as { rate: number }).rate));
    return rates.reduce((a, b) => a + b, 0);
  } finally {
    children.forEach((c) => c.kill());
  }
}

/** two_process_forward_ceiling_ratio from forwardCeiling runs in `order` (1 or 2 processes), the faster run of each kind. */
async function reportCeiling(order: readonly (1 | 2)[], pin: boolean): Promise<void> {
  const ceiling = { 1: 0, 2: 0 };
  for (const procs of order) ceiling[procs] = Math.max(ceiling[procs], await forwardCeiling(procs, pin));
  out.forward_passes_s_1proc = Number(ceiling[1].toFixed(3));
  out.forward_passes_s_2proc = Number(ceiling[2].toFixed(3));
  report('two_process_forward_ceiling_ratio', ceiling[2] / ceiling[1], 'forward passes (batch 16, one thread each), 2 processes at once vs 1', 'x');
}

async function main(): Promise<void> {
  if (args.includes('--ceiling-child')) return ceilingChild(num('--ceiling-child', 6));
  if (args.includes('--threads-child')) return threadsChild(num('--threads-child', 1), args.includes('--train-workers') ? num('--train-workers', 1) : undefined);
  configureWasmThreads(2);
  const backend = await useBackend('wasm', { env: null });
  out.backend = backend.name;
  out.details = backend.capabilities.details ?? '';
  out.size = SIZE;
  console.error(`backend ${backend.name} (${out.details}), size ${SIZE}`);

  // 0. Two cores against one: feature extraction, predictBatch and one unfrozen epoch, each in a fresh
  //    process per core count (see coreCounts below).
  if (args.includes('--ceiling-only')) {
    await reportCeiling([2, 1], availableParallelism() >= 2);
    return printReport();
  }
  if (!args.includes('--no-threads') && !cvOnly) await twoCores();
  if (args.includes('--threads-only')) return printReport();

  // 1. Frozen epoch: cached activations vs the body recomputed every step (same data, same run).
  if (!cvOnly) {
    const root = await subset(32);
    const ds = await ImageDataset.fromFolder(root, { validPct: 0.2, seed: 42, size: SIZE });
    const cached = await cnnLearner(ds, { pretrained: MOBILENET, batchSize: 32, cacheViews: 1, log: quiet });
    let t = now();
    await cached.prepareFeatures();
    const extractSec = (now() - t) / 1000;
    await cached.fitOneCycle(1); // warm-up (kernels, optimizer slots)
    t = now();
    await cached.fitOneCycle(3);
    const cachedEpoch = (now() - t) / 3000;
    const plain = await cnnLearner(ds, { pretrained: MOBILENET, batchSize: 32, featureCache: false, log: quiet });
    t = now();
    await plain.fitOneCycle(1);
    const plainEpoch = (now() - t) / 1000;
    report('frozen_images', ds.train.length, 'frozen: train images in the timing subset', '', 0);
    report('frozen_epoch_recompute_s', plainEpoch, 'frozen epoch, body recomputed every step', 's');
    report('frozen_epoch_cached_s', cachedEpoch, 'frozen epoch on cached activations', 's', 3);
    report('frozen_epoch_ratio', plainEpoch / cachedEpoch, 'frozen epoch speed-up (recompute / cached)', 'x', 1);
    report('frozen_extract_s', extractSec, 'one-off activation extraction (1 view + valid)', 's');
    // Whole 4-epoch frozen fit, extraction included, against 4 recomputed epochs.
    report('frozen_fit4_ratio', (4 * plainEpoch) / (extractSec + 4 * cachedEpoch), 'fitOneCycle(4) speed-up incl. extraction', 'x', 1);
    cached.dispose();
    plain.dispose();
    await rm(root, { recursive: true, force: true });
  }

  // 2. Unfrozen training throughput vs the forward pass (GFLOP/s, same model and batch).
  if (!cvOnly) {
    const root = await subset(8);
    const ds = await ImageDataset.fromFolder(root, { validPct: 0.2, seed: 42, size: SIZE });
    const lines: string[] = [];
    // Training on a batch of the recipe's 64 (micro-batches of 3, split between the workers); forward in batches of 8.
    const learn = await cnnLearner(ds, { pretrained: MOBILENET, batchSize: 64, log: (l) => lines.push(l) });
    const fwdFlops = forwardFlops(learn.body.model) + forwardFlops(learn.head);
    report('model_gflop_per_image', fwdFlops / 1e9, 'MobileNet v1 0.75 body + head forward', 'GFLOP', 3);
    const x = tf.randomUniform([8, SIZE, SIZE, 3], -1, 1);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const model = learn.inferenceModel();
    tf.dispose(model.predict(x) as tf.Tensor);
    let t = now();
    const fwdReps = 3;
    for (let i = 0; i < fwdReps; i++) {
      const p = model.predict(x) as tf.Tensor;
      await p.data();
      p.dispose();
    }
    const fwdSec = (now() - t) / 1000;
    const fwdGflops = (fwdReps * 8 * fwdFlops) / fwdSec / 1e9;
    learn.unfreeze();
    const step = (learn as unknown as { trainStep(b: { x: tf.Tensor; y: tf.Tensor1D; features: boolean }): Promise<number> }).trainStep.bind(learn);
    const bx = tf.randomUniform([64, SIZE, SIZE, 3], -1, 1);
    const by = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 3), 'int32');
    await step({ x: bx, y: by, features: false }); // warm-up + memory plan + workers
    const trainReps = 2;
    t = now();
    for (let i = 0; i < trainReps; i++) await step({ x: bx, y: by, features: false });
    const trainSec = (now() - t) / 1000;
    // Wall clock of the whole step (replicas, the sum, the AdamW step): the machine's training rate.
    const trainImgs = (trainReps * 64) / trainSec;
    tf.dispose([bx, by]);
    await learn.closeWorkers();
    // Backward costs about twice the forward (input and weight gradients), so a step is ~3x forward FLOPs.
    const trainGflops = (trainImgs * 3 * fwdFlops) / 1e9;
    report('forward_img_s', (fwdReps * 8) / fwdSec, 'forward (inference) throughput, batch 8', 'img/s');
    report('forward_gflops', fwdGflops, 'forward GFLOP/s', 'GFLOP/s');
    report('unfrozen_train_img_s', trainImgs, 'unfrozen training throughput (fwd+bwd+AdamW), batch 64', 'img/s');
    out.unfrozen_train_path = lines.find((l) => l.startsWith('unfrozen training:')) ?? 'the wasm backend threads';
    report('unfrozen_train_gflops', trainGflops, 'unfrozen training GFLOP/s (3x forward FLOPs)', 'GFLOP/s');
    report('train_vs_forward_gflops_ratio', trainGflops / fwdGflops, 'training GFLOP/s / forward GFLOP/s', '', 2);
    const planLine = lines.find((l) => l.startsWith('memory:'));
    out.memory_plan = planLine ?? 'batch 64 fits the wasm heap';
    tf.dispose([x, y]);

    // 3. Predict: one image with decode, and batches.
    const exportDir = await mkdtemp(path.join(tmpdir(), 'bears-bench-export-'));
    learn.freeze();
    await learn.export(exportDir);
    learn.dispose();
    const clf = await loadLearner(exportDir);
    const files = (await readdir(path.join(BEARS, 'teddy'))).sort().slice(0, 32).map((f) => path.join(BEARS, 'teddy', f));
    await clf.predict(files[0]!);
    const lat: number[] = [];
    for (const f of files.slice(0, 10)) {
      t = now();
      await clf.predict(f);
      lat.push(now() - t);
    }
    lat.sort((a, b) => a - b);
    report('predict_one_ms', lat[Math.floor(lat.length / 2)]!, 'predict(one JPEG path) median latency incl. decode', 'ms', 0);
    // The first call over several batches starts the inference workers in the background (kept
    // until dispose): timed apart; then a call once they are up.
    t = now();
    await clf.predictBatch(files, { batchSize: 16 });
    report('predict_batch_first_s', (now() - t) / 1000, 'predictBatch(32 JPEGs), first call (workers starting)', 's', 2);
    report('predict_workers', await clf.startInferenceWorkers(), 'predictBatch inference workers', '', 0);
    t = now();
    await clf.predictBatch(files, { batchSize: 16 });
    report('predict_batch_img_s', files.length / ((now() - t) / 1000), 'predictBatch(32 JPEGs) throughput, warm', 'img/s', 1);
    clf.dispose();
    await rm(exportDir, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  }

  // 3b. --recipe-time: the default recipe plus 2 unfrozen epochs (--unfreeze-epochs 2) on fold 0 with unfrozen training on the wasm backend's 2 threads
  //     (trainWorkers: 1, the path before the workers) and then on the workers (the default), in this process.
  if (args.includes('--recipe-time')) {
    const suspects = await suspectFiles(path.join(BEARS, 'manifest.csv'));
    const fold0 = async (learner: { trainWorkers?: number }) => (await crossValidate({ root: BEARS, pretrained: MOBILENET, recipe: { ...DEFAULT_RECIPE, unfreezeEpochs: 2 }, frozenOnly: false, suspects, only: [0], learner }))[0]!;
    out.recipe_load_before = loadavg().map((v) => v.toFixed(2)).join(' ');
    const threadsOnly = await fold0({ trainWorkers: 1 });
    const workers = await fold0({});
    out.recipe_load_after = loadavg().map((v) => v.toFixed(2)).join(' ');
    report('recipe_time_s_2threads', threadsOnly.seconds, 'default recipe + 2 unfrozen epochs on fold 0, unfrozen on 2 wasm threads (no workers)', 's', 1);
    report('recipe_time_s_2workers', workers.seconds, 'default recipe + 2 unfrozen epochs on fold 0, unfrozen on 2 workers', 's', 1);
    report('recipe_workers_time_ratio', threadsOnly.seconds / workers.seconds, 'recipe speed-up from the workers', 'x', 2);
    out.recipe_fold0_errors = `${threadsOnly.errors}/${threadsOnly.valid} (threads), ${workers.errors}/${workers.valid} (workers)`;
  }

  // 4. The default recipe (what `bears train` runs), 5-fold stratified cross-validation on ../shared/data/bears.
  // --quick cross-validates the frozen phase only; the full mode runs the whole recipe (unfreezing included) per fold.
  // --no-cv skips it (the timing sections only, a few minutes).
  if (!args.includes('--no-cv')) {
    const log = (l: string) => console.error(`  | ${l}`);
    const suspects = await suspectFiles(path.join(BEARS, 'manifest.csv'));
    const checkArg = args.indexOf('--unfreeze-check');
    const checkFolds = checkArg < 0 ? undefined : /^[\d,]+$/.test(args[checkArg + 1] ?? '') ? args[checkArg + 1]!.split(',').map(Number) : [0, 1, 2, 3, 4];
    const cv = (recipe: Recipe, only?: number[], check?: number[]) =>
      crossValidate({ root: BEARS, pretrained: MOBILENET, recipe, frozenOnly: quick, suspects, log, ttaViews: TTA_VIEWS, ...(only ? { only } : {}), ...(check ? { unfreezeCheck: { epochs: checkEpochs, lrRange: checkLr ?? recipe.lrRange, folds: check, from: unfreezeFrom, ...(wiseAlphas ? { wise: wiseAlphas } : {}), ...(refitArg ? { refit: { epochs: refitArg[0]!, lr: refitArg[1]! } } : {}) } } : {}) });
    out.cv_load_before = loadavg().map((v) => v.toFixed(2)).join(' ');
    // Today's recipe and the new defaults, on fold 0, back to back, for the time ratio.
    const before = args.includes('--no-before') ? undefined : (await cv(LESSON_RECIPE, [0]))[0]!;
    const folds = await cv(DEFAULT_RECIPE, undefined, checkFolds);
    const after = folds[0]!;
    out.cv_load_after = loadavg().map((v) => v.toFixed(2)).join(' ');
    out.cv_mode = quick ? 'frozen phase only (--quick)' : 'full recipe';
    out.cv_recipe = JSON.stringify(DEFAULT_RECIPE);
    out.cv_folds = folds.length;
    const rate = (f: FoldResult, k: 'recipeErrors' | 'errors' | 'ttaErrors' | 'frozenErrors') => (f[k] ?? NaN) / f.valid;
    const cleanRate = (f: FoldResult, k: 'recipeCleanErrors' | 'cleanErrors' | 'ttaCleanErrors' | 'frozenCleanErrors') => (f[k] ?? NaN) / f.clean;
    const fig = (key: string, values: number[], label: string) => {
      const { mean, std } = meanStd(values);
      report(`${key}_mean`, mean, `${label}, mean of ${values.length} folds`, '', 4);
      report(`${key}_std`, std, `${label}, spread (std over folds)`, '', 4);
      out[`${key}_folds`] = values.map((v) => v.toFixed(4)).join(' ');
    };
    const how = DEFAULT_RECIPE.tta ? 'with tta' : 'plain view';
    fig('cv_error_rate', folds.map((f) => rate(f, 'recipeErrors')), `CV error_rate (the recipe's predictions: ${how})`);
    fig('cv_error_rate_clean', folds.map((f) => cleanRate(f, 'recipeCleanErrors')), `CV error_rate without the suspect labels (${how})`);
    fig('cv_error_rate_plain', folds.map((f) => rate(f, 'errors')), 'CV error_rate, plain view (predict --no-tta)');
    fig('cv_error_rate_plain_clean', folds.map((f) => cleanRate(f, 'cleanErrors')), 'CV error_rate, plain view, without suspects');
    fig('cv_error_rate_tta', folds.map((f) => rate(f, 'ttaErrors')), `CV error_rate with tta (${TTA_VIEWS} views)`);
    fig('cv_error_rate_tta_clean', folds.map((f) => cleanRate(f, 'ttaCleanErrors')), 'CV error_rate with tta, without suspects');
    // Log loss (mean -ln p of the label) says what error counts at about 1 in 110 a fold cannot: how sure the right answers are.
    const logLoss = (s: FoldScore) => (DEFAULT_RECIPE.tta ? s.ttaLogLoss : s.logLoss);
    const cleanLogLoss = (s: FoldScore) => (DEFAULT_RECIPE.tta ? s.ttaCleanLogLoss : s.cleanLogLoss);
    fig('cv_log_loss', folds.map((f) => logLoss(f)), `CV log loss (${how})`);
    fig('cv_log_loss_clean', folds.map((f) => cleanLogLoss(f)), `CV log loss without suspects (${how})`);
    if (folds[0]!.frozenErrors !== undefined) {
      fig('cv_error_rate_frozen', folds.map((f) => rate(f, 'frozenErrors')), 'CV error_rate of the frozen head (before unfreezing)');
      fig('cv_error_rate_frozen_clean', folds.map((f) => cleanRate(f, 'frozenCleanErrors')), 'CV frozen head error_rate without suspects');
    }
    const checked = folds.filter((f) => f.unfrozen);
    if (checked.length > 0) {
      // The default recipe's model on the checked folds, then the same model after the unfrozen epochs (--unfreeze-epochs).
      out.cv_unfreeze_check = `the default recipe's model, then ${unfreezeFrom ? `freezeTo(${unfreezeFrom})` : 'unfreeze()'} and fitOneCycle(${checkEpochs}, ${JSON.stringify(checkLr ?? DEFAULT_RECIPE.lrRange)}), folds ${checked.map((f) => f.fold).join(',')}`;
      fig('cv_check_frozen_error_rate', checked.map((f) => rate(f, 'recipeErrors')), `checked folds, the recipe (${how})`);
      // A check's score as the recipe predicts (with tta when it uses tta), over all images and over those not suspect.
      const scoreRate = (f: FoldResult, s: FoldScore) => (DEFAULT_RECIPE.tta ? s.ttaErrors : s.errors) / f.valid;
      const scoreCleanRate = (f: FoldResult, s: FoldScore) => (DEFAULT_RECIPE.tta ? s.ttaCleanErrors : s.cleanErrors) / f.clean;
      fig('cv_check_unfrozen_error_rate', checked.map((f) => scoreRate(f, f.unfrozen!)), `checked folds, then unfrozen (${how})`);
      fig('cv_check_frozen_error_rate_clean', checked.map((f) => cleanRate(f, 'recipeCleanErrors')), `checked folds, the recipe, without suspects`);
      fig('cv_check_unfrozen_error_rate_clean', checked.map((f) => scoreCleanRate(f, f.unfrozen!)), `checked folds, then unfrozen, without suspects`);
      fig('cv_check_frozen_error_rate_plain', checked.map((f) => rate(f, 'errors')), 'checked folds, the recipe, plain view');
      fig('cv_check_unfrozen_error_rate_plain', checked.map((f) => f.unfrozen!.errors / f.valid), 'checked folds, then unfrozen, plain view');
      fig('cv_check_frozen_log_loss', checked.map((f) => logLoss(f)), `checked folds, the recipe: log loss (${how})`);
      fig('cv_check_unfrozen_log_loss', checked.map((f) => logLoss(f.unfrozen!)), `checked folds, then unfrozen: log loss (${how})`);
      fig('cv_check_frozen_log_loss_clean', checked.map((f) => cleanLogLoss(f)), `checked folds, the recipe: log loss without suspects (${how})`);
      fig('cv_check_unfrozen_log_loss_clean', checked.map((f) => cleanLogLoss(f.unfrozen!)), `checked folds, then unfrozen: log loss without suspects (${how})`);
      // Paired by fold: in how many folds the unfrozen phase lowered the log loss and the error count.
      out.cv_check_folds_log_loss_lower = checked.filter((f) => logLoss(f.unfrozen!) < logLoss(f)).length;
      // Paired by fold: on how many folds a checked model makes fewer, as many and more errors than the recipe.
      const lowerSameHigher = (score: (f: FoldResult) => FoldScore) => [-1, 0, 1].map((sign) => checked.filter((f) => Math.sign(scoreRate(f, score(f)) - rate(f, 'recipeErrors')) === sign).length).join('/');
      out.cv_check_folds_errors_lower_same_higher = lowerSameHigher((f) => f.unfrozen!);
      // A further checked model's error rate (all, not suspect) and log loss, as the recipe predicts.
      const checkFigs = (key: string, score: (f: FoldResult) => FoldScore, label: string) => {
        fig(`${key}_error_rate`, checked.map((f) => scoreRate(f, score(f))), `${label} (${how})`);
        fig(`${key}_error_rate_clean`, checked.map((f) => scoreCleanRate(f, score(f))), 'the same, without suspects');
        fig(`${key}_log_loss`, checked.map((f) => logLoss(score(f))), 'the same: log loss');
      };
      if (checked[0]!.refit) {
        checkFigs('cv_check_refit', (f) => f.refit!, 'checked folds, unfrozen then frozen with fresh heads');
        out.cv_check_refit_folds_errors_lower_same_higher = lowerSameHigher((f) => f.refit!);
      }
      for (const [i, alpha] of (wiseAlphas ?? []).entries()) {
        checkFigs(`cv_check_wise${String(alpha).replace('.', '')}`, (f) => f.wise![i]!.score, `checked folds, frozen + ${alpha} x (unfrozen - frozen)`);
      }
    }
    out.cv_errors_per_fold = folds.map((f) => `${f.recipeErrors}/${f.valid}`).join(' ');
    if (before) {
      report('recipe_before_fold0_error_rate', before.recipeErrors / before.valid, "today's recipe on fold 0: error_rate", '', 4);
      report('recipe_time_s_before', before.seconds, `today's recipe on fold 0 (${quick ? 'frozen phase' : 'whole recipe'}), incl. loading + extraction`, 's', 1);
      report('recipe_time_s_after', after.seconds, `the default recipe on fold 0, right after${DEFAULT_RECIPE.tta ? ' (its tta validation included)' : ''}`, 's', 1);
      report('recipe_time_ratio', after.seconds / before.seconds, 'recipe time, default / today', 'x', 2);
    }
  }

  printReport();
}

function printReport(): void {
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`@bears/learner benchmark (${out.backend}: ${out.details}; ${SIZE} px)`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
