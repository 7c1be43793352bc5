// Two cores against one on the wasm backend, on MobileNetV2 (alpha 1.0), each side in a fresh process
// restricted to that many cores (Linux taskset, where present): tfjs's threaded SIMD build through
// @bears/backend-wasm/node on 2 threads, and on 1 thread pinned to one core.
// - forward: a training-mode forward pass of a batch (what feature extraction and predictBatch run),
// - train step: forward + backward + SGD-momentum update (an unfrozen epoch is a loop of these),
// - train_vs_forward_gflops_ratio: training GFLOP/s (3x the forward's FLOPs per image) over the
//   forward pass's GFLOP/s, on 2 cores and on 1.
// Resizing the XNNPACK pool inside one process (how this bench first compared them) proved
// unreliable: a second 2-thread pool sometimes ran at 1-thread speed. Each side runs twice,
// alternating; the faster run counts (median of BENCH_REPEATS inside each run).
// Wall-clock time: ratios between core counts mean something only on an otherwise idle machine,
// so the load average before and after is printed and put in the JSON line.
// Env: BENCH_SIZE (224), BENCH_FORWARD_BATCH (16), BENCH_TRAIN_BATCH (8), BENCH_MICRO (4), BENCH_REPEATS (3).
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { useBackend } from '@bears/backend';
import { configureWasmThreads, wasmThreadCount } from '../node.js';
import { MobileNetV2, trainStep } from './mobilenet-v2.js';

const env = (k: string, d: number) => (process.env[k] === undefined ? d : Number(process.env[k]));
const size = env('BENCH_SIZE', 224);
const forwardBatch = env('BENCH_FORWARD_BATCH', 16);
const trainBatch = env('BENCH_TRAIN_BATCH', 8);
const micro = env('BENCH_MICRO', 4);
const repeats = env('BENCH_REPEATS', 3);
const classes = 10;
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const load = () => os.loadavg().map((v) => +v.toFixed(2));

interface Times { threads: number; details: string; forward: number; train: number; macsPerImage224: number }

/** One side, in this process: a warm-up, then the median of `repeats` forward passes and steps. */
async function child(threads: number): Promise<Times> {
  configureWasmThreads(threads);
  const active = await useBackend('wasm', { env: null });
  if (wasmThreadCount() !== threads) throw new Error(`the wasm backend started on ${wasmThreadCount()} thread(s), not ${threads}: ${active.capabilities.details}`);
  const model = new MobileNetV2({ classes, seed: 1 });
  const optimizer = tf.train.momentum(0.01, 0.9);
  const xf = tf.randomNormal([forwardBatch, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const xt = tf.randomNormal([trainBatch, size, size, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  const yt = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: trainBatch }, (_, i) => i % classes), 'int32'), classes)) as tf.Tensor2D;
  const forward = () => tf.tidy(() => model.apply(xf)).dataSync();
  const step = () => trainStep(model, optimizer, xt, yt, micro);
  const time = (f: () => unknown) => { const t0 = performance.now(); f(); return (performance.now() - t0) / 1000; };
  forward();
  step(); // warm-up: operator setup, heap growth
  const fwd: number[] = [], train: number[] = [];
  for (let r = 0; r < repeats; r++) {
    fwd.push(time(forward));
    train.push(time(step));
  }
  tf.dispose([xf, xt, yt]);
  optimizer.dispose();
  const macsPerImage224 = model.macsPerImage224;
  model.dispose();
  return { threads, details: active.capabilities.details ?? '', forward: median(fwd), train: median(train), macsPerImage224 };
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) {
  console.log(JSON.stringify(await child(Number(process.argv[childArg + 1]))));
  process.exit(0);
}

const run = promisify(execFile);
const script = fileURLToPath(import.meta.url);
let pinned = os.availableParallelism() >= 2;
async function side(threads: number): Promise<Times> {
  const node = [process.execPath, script, '--child', String(threads)];
  const parse = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Times;
  if (pinned) {
    try {
      return parse((await run('taskset', ['-c', `0-${threads - 1}`, ...node], { maxBuffer: 1 << 24 })).stdout);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      pinned = false;
    }
  }
  return parse((await run(node[0]!, node.slice(1), { maxBuffer: 1 << 24 })).stdout);
}

const loadBefore = load();
const best: Record<1 | 2, Times | undefined> = { 1: undefined, 2: undefined };
for (const threads of [2, 1, 1, 2] as const) {
  const t = await side(threads);
  console.error(`${threads} core(s): forward ${t.forward.toFixed(2)} s, train step ${t.train.toFixed(2)} s (${t.details})`);
  const b = best[threads];
  best[threads] = b ? { ...b, forward: Math.min(b.forward, t.forward), train: Math.min(b.train, t.train) } : t;
}
const loadAfter = load();
const gmacPerImage = (best[2]!.macsPerImage224 * (size / 224) ** 2) / 1e9;
const fwd = { 1: best[1]!.forward, 2: best[2]!.forward };
const train = { 1: best[1]!.train, 2: best[2]!.train };
const fwdGflops = (t: 1 | 2) => (2 * gmacPerImage * forwardBatch) / fwd[t];
const trainGflops = (t: 1 | 2) => (3 * 2 * gmacPerImage * trainBatch) / train[t];

console.log(`MobileNetV2 (alpha 1.0) at ${size}x${size}: forward batch ${forwardBatch}, train step batch ${trainBatch} (micro-batches of ${micro}); ${best[2]!.details} vs ${best[1]!.details}${pinned ? ' pinned to one core' : ''}`);
console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')} (${os.cpus().length} cores)\n`);
console.log('| cores | forward s | forward img/s | forward GFLOP/s | train step s | train img/s | train GFLOP/s |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const t of [1, 2] as const) {
  console.log(`| ${t} | ${fwd[t].toFixed(2)} | ${(forwardBatch / fwd[t]).toFixed(1)} | ${fwdGflops(t).toFixed(1)} | ${train[t].toFixed(2)} | ${(trainBatch / train[t]).toFixed(2)} | ${trainGflops(t).toFixed(2)} |`);
}
console.log(JSON.stringify({
  benchmark: 'wasm_threads',
  size,
  forward_batch: forwardBatch,
  train_batch: trainBatch,
  micro_batch: micro,
  repeats,
  timing: 'wall clock; fresh process per side, 2 runs each alternating, the faster counts (median of repeats inside)',
  one_core: pinned ? 'taskset -c 0' : 'one wasm thread (not pinned)',
  load_before: loadBefore,
  load_after: loadAfter,
  forward_s_1t: +fwd[1].toFixed(3),
  forward_s_2t: +fwd[2].toFixed(3),
  train_step_s_1t: +train[1].toFixed(3),
  train_step_s_2t: +train[2].toFixed(3),
  forward_gflops_2t: +fwdGflops(2).toFixed(2),
  train_gflops_2t: +trainGflops(2).toFixed(2),
  two_core_forward_ratio: +(fwd[1] / fwd[2]).toFixed(3),
  two_core_train_step_ratio: +(train[1] / train[2]).toFixed(3),
  train_vs_forward_gflops_ratio: +(trainGflops(2) / fwdGflops(2)).toFixed(3),
  train_vs_forward_gflops_ratio_1t: +(trainGflops(1) / fwdGflops(1)).toFixed(3),
}));
