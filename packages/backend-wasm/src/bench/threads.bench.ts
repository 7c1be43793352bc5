// Two cores against one on the wasm backend, in one process: tfjs's threaded SIMD build started
// on 2 threads through @bears/backend-wasm/node, its XNNPACK pool resized to 1 thread and back
// between measurements (alternating, median of the repeats), on MobileNetV2 (alpha 1.0):
// - forward: a training-mode forward pass of a batch (what feature extraction and predictBatch run),
// - train step: forward + backward + SGD-momentum update (an unfrozen epoch is a loop of these),
// - train_vs_forward_gflops_ratio: training GFLOP/s (3x the forward's FLOPs per image) over the
//   forward pass's GFLOP/s, on 2 threads and on 1.
// Wall-clock time: ratios between thread counts mean something only on an otherwise idle machine,
// so the load average before and after is printed and put in the JSON line.
// Env: BENCH_SIZE (224), BENCH_FORWARD_BATCH (16), BENCH_TRAIN_BATCH (8), BENCH_MICRO (4), BENCH_REPEATS (3).
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { useBackend } from '@bears/backend';
import { configureWasmThreads, wasmThreadCount } from '../node.js';
import { MobileNetV2, trainStep } from './mobilenet-v2.js';
import { resizeThreadPool } from './thread-pool.js';

const env = (k: string, d: number) => (process.env[k] === undefined ? d : Number(process.env[k]));
const size = env('BENCH_SIZE', 224);
const forwardBatch = env('BENCH_FORWARD_BATCH', 16);
const trainBatch = env('BENCH_TRAIN_BATCH', 8);
const micro = env('BENCH_MICRO', 4);
const repeats = env('BENCH_REPEATS', 3);
const classes = 10;
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const load = () => os.loadavg().map((v) => +v.toFixed(2));

configureWasmThreads(2);
const active = await useBackend('wasm', { env: null });
if (wasmThreadCount() < 2) throw new Error(`the wasm backend started on ${wasmThreadCount()} thread(s), not 2: ${active.capabilities.details}`);
const loadBefore = load();

const model = new MobileNetV2({ classes, seed: 1 });
const optimizer = tf.train.momentum(0.01, 0.9);
const gmacPerImage = (model.macsPerImage224 * (size / 224) ** 2) / 1e9;
const xf = tf.randomNormal([forwardBatch, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
const xt = tf.randomNormal([trainBatch, size, size, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
const yt = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: trainBatch }, (_, i) => i % classes), 'int32'), classes)) as tf.Tensor2D;

const forward = () => tf.tidy(() => model.apply(xf)).dataSync();
const step = () => trainStep(model, optimizer, xt, yt, micro);
const time = (f: () => unknown) => { const t0 = performance.now(); f(); return (performance.now() - t0) / 1000; };

const seconds: Record<'forward' | 'train', Record<1 | 2, number[]>> = { forward: { 1: [], 2: [] }, train: { 1: [], 2: [] } };
for (const threads of [2, 1] as const) { resizeThreadPool(threads); forward(); step(); } // warm-up: operator setup, heap growth
for (let r = 0; r < repeats; r++) {
  for (const threads of (r % 2 ? [1, 2] : [2, 1]) as Array<1 | 2>) {
    resizeThreadPool(threads);
    seconds.forward[threads].push(time(forward));
    seconds.train[threads].push(time(step));
    console.error(`repeat ${r + 1}/${repeats}, ${threads} thread(s): forward ${seconds.forward[threads].at(-1)!.toFixed(2)} s, train step ${seconds.train[threads].at(-1)!.toFixed(2)} s`);
  }
}
tf.dispose([xf, xt, yt]);
optimizer.dispose();
model.dispose();
const loadAfter = load();

const fwd = { 1: median(seconds.forward[1]), 2: median(seconds.forward[2]) };
const train = { 1: median(seconds.train[1]), 2: median(seconds.train[2]) };
const fwdGflops = (t: 1 | 2) => (2 * gmacPerImage * forwardBatch) / fwd[t];
const trainGflops = (t: 1 | 2) => (3 * 2 * gmacPerImage * trainBatch) / train[t];

console.log(`MobileNetV2 (alpha 1.0) at ${size}x${size}: forward batch ${forwardBatch}, train step batch ${trainBatch} (micro-batches of ${micro}); ${active.capabilities.details}`);
console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')} (${os.cpus().length} cores)\n`);
console.log('| threads | forward s | forward img/s | forward GFLOP/s | train step s | train img/s | train GFLOP/s |');
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
  timing: 'wall clock, median; 1 and 2 threads alternate in one process',
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
