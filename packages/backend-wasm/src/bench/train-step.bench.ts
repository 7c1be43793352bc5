// One MobileNetV2 training step (forward, backward, SGD-momentum update), batch 16 at 224x224,
// on tfjs-backend-wasm with Bears' training kernels vs tfjs-backend-cpu, in one run.
//
// The batch runs as micro-batches with accumulated gradients (BENCH_MICRO, default 4): tfjs keeps
// about 0.5 GB of tensors per 224x224 image until backprop ends and the wasm32 heap stops at 4 GB.
// tfjs-backend-cpu needs minutes per micro-batch, so the cpu side times one micro-batch's forward
// and backward plus one optimizer update, and counts the pass batch/micro times (the passes are
// identical work).
// Env: BENCH_BATCH (16), BENCH_SIZE (224), BENCH_MICRO (4), BENCH_CPU_MICRO (2), BENCH_WASM_STEPS (2),
// BENCH_CPU=0 skips cpu.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@bears/backend';
import { registerTrainingKernels } from '../kernels/index.js';
import { useBackend } from '@bears/backend';
import '../index.js';
import { timeKernels } from './kernel-timer.js';
import { MobileNetV2, trainStep } from './mobilenet-v2.js';

const env = (k: string, d: number) => (process.env[k] === undefined ? d : Number(process.env[k]));
const batch = env('BENCH_BATCH', 16);
const size = env('BENCH_SIZE', 224);
const micro = env('BENCH_MICRO', 4);
const cpuMicro = env('BENCH_CPU_MICRO', 2);
const wasmSteps = env('BENCH_WASM_STEPS', 2);
const runCpu = process.env.BENCH_CPU !== '0';
const classes = 10;

// Both backends are single-threaded, so process CPU time equals wall time on an idle machine and
// is not inflated when other jobs share the cores; the ratio uses CPU time, wall time is reported too.
const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

interface Side { name: string; seconds: number[]; cpuTime: number[]; loss: number[]; kernels?: Map<string, { ms: number; calls: number }>; note?: string }

function batchData(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32');
  const y = tf.oneHot(labels, classes) as tf.Tensor2D;
  labels.dispose();
  return { x, y };
}

function measure(name: string, steps: number, warmup: boolean, profile: boolean): Side {
  const model = new MobileNetV2({ classes, seed: 1 });
  const optimizer: tf.Optimizer = tf.train.momentum(0.01, 0.9);
  const { x, y } = batchData();
  const side: Side = { name, seconds: [], cpuTime: [], loss: [] };
  if (warmup) trainStep(model, optimizer, x, y, micro); // XNNPACK operator setup, heap growth
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    side.loss.push(trainStep(model, optimizer, x, y, micro));
    side.cpuTime.push(cpuSeconds() - c0);
    side.seconds.push((performance.now() - t0) / 1000);
    console.error(`${name} step ${i + 1}/${steps}: ${side.seconds.at(-1)!.toFixed(2)} s wall, ${side.cpuTime.at(-1)!.toFixed(2)} s CPU`);
  }
  if (profile) {
    const timer = timeKernels(tf.getBackend());
    try {
      trainStep(model, optimizer, x, y, micro);
    } finally {
      timer.restore();
    }
    side.kernels = timer.totals;
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return side;
}

/** cpu: one micro-batch forward + backward, counted batch/micro times, plus one measured update. */
function measureCpuStep(): Side {
  const model = new MobileNetV2({ classes, seed: 1 });
  const optimizer: tf.Optimizer = tf.train.momentum(0.01, 0.9);
  const { x, y } = batchData();
  const size = Math.min(cpuMicro, batch);
  const xb = tf.slice(x, [0, 0, 0, 0], [size, -1, -1, -1]);
  const yb = tf.slice(y, [0, 0], [size, -1]);
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(yb, model.apply(xb as tf.Tensor4D)) as tf.Scalar, model.variables);
  const loss = value.dataSync()[0]!;
  const pass = (performance.now() - t0) / 1000;
  const passCpu = cpuSeconds() - c0;
  console.error(`cpu micro-batch forward+backward (${size} images): ${pass.toFixed(1)} s wall, ${passCpu.toFixed(1)} s CPU`);
  const t1 = performance.now();
  const c1 = cpuSeconds();
  optimizer.applyGradients(grads);
  tf.tidy(() => model.variables.map((v) => tf.sum(v))).forEach((t) => t.dataSync());
  const update = (performance.now() - t1) / 1000;
  const updateCpu = cpuSeconds() - c1;
  tf.dispose([value, xb, yb, x, y, ...Object.values(grads)]);
  optimizer.dispose();
  model.dispose();
  const passes = Math.ceil(batch / size);
  return {
    name: 'cpu', seconds: [pass * passes + update], cpuTime: [passCpu * passes + updateCpu], loss: [loss],
    note: `1 of ${passes} micro-batch passes timed (${passCpu.toFixed(1)} s CPU) x ${passes} + update ${updateCpu.toFixed(2)} s`,
  };
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

registerTrainingKernels();
const active = await useBackend('wasm', { env: null });
const probe = new MobileNetV2({ classes });
const flopsPerStep = 3 * 2 * probe.macsPerImage224 * batch * (size / 224) ** 2; // forward + dx + dW
probe.dispose();
console.log(`MobileNetV2 (alpha 1.0, ${classes} classes) training step, batch ${batch} at ${size}x${size} (micro-batches of ${micro}): ${(flopsPerStep / 1e9).toFixed(1)} GFLOP`);
console.log(`wasm: ${active.capabilities.details}`);
const wasm = measure('wasm', wasmSteps, true, true);
const heapMB = ((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20).toFixed(0);
let cpu: Side | undefined;
if (runCpu) {
  await tf.setBackend('cpu');
  cpu = measureCpuStep();
}

const wasmS = median(wasm.cpuTime);
const wasmWall = median(wasm.seconds);
const cpuS = cpu ? median(cpu.cpuTime) : undefined;
const cpuWall = cpu ? median(cpu.seconds) : undefined;
const row = (name: string, s: number, wall: number, steps: number) =>
  `| ${name.padEnd(24)} | ${s.toFixed(2).padStart(10)} | ${wall.toFixed(2).padStart(11)} | ${(flopsPerStep / s / 1e9).toFixed(2).padStart(8)} | ${String(steps).padStart(5)} |`;
console.log('\n| backend                  | s/step CPU | s/step wall |  GFLOP/s | steps |');
console.log('|--------------------------|------------|-------------|----------|-------|');
console.log(row('wasm + Bears kernels', wasmS, wasmWall, wasm.seconds.length));
if (cpu && cpuS !== undefined) console.log(row('cpu (tfjs-backend-cpu)', cpuS, cpuWall!, cpu.seconds.length) + `  ${cpu.note}`);
if (cpuS !== undefined) console.log(`\nwasm is ${(cpuS / wasmS).toFixed(1)}x faster than cpu by CPU time, ${(cpuWall! / wasmWall).toFixed(1)}x by wall time (wasm heap ${heapMB} MB)`);

if (wasm.kernels) {
  const total = [...wasm.kernels.values()].reduce((a, k) => a + k.ms, 0);
  console.log('\nwasm kernels in one step (top 15 by time):\n| kernel | ms | calls | share |\n|---|---:|---:|---:|');
  for (const [name, k] of [...wasm.kernels.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
    console.log(`| ${name} | ${k.ms.toFixed(0)} | ${k.calls} | ${((100 * k.ms) / total).toFixed(1)}% |`);
  }
}

console.log(JSON.stringify({
  benchmark: 'mobilenet_v2_train_step',
  batch,
  size,
  gflop_per_step: +(flopsPerStep / 1e9).toFixed(2),
  wasm_s_per_step: +wasmS.toFixed(3),
  wasm_wall_s_per_step: +wasmWall.toFixed(3),
  wasm_gflops: +(flopsPerStep / wasmS / 1e9).toFixed(2),
  cpu_s_per_step: cpuS === undefined ? null : +cpuS.toFixed(3),
  cpu_wall_s_per_step: cpuWall === undefined ? null : +cpuWall.toFixed(3),
  cpu_gflops: cpuS === undefined ? null : +(flopsPerStep / cpuS / 1e9).toFixed(3),
  micro_batch: micro,
  cpu_micro_batch: runCpu ? Math.min(cpuMicro, batch) : null,
  cpu_method: cpu ? 'one micro-batch pass timed, scaled to the batch, plus one update' : null,
  timing: 'process CPU time (single-threaded backends; robust to other jobs on the cores)',
  wasm_vs_cpu_ratio: cpuS === undefined ? null : +(cpuS / wasmS).toFixed(2),
  wasm_vs_cpu_wall_ratio: cpuWall === undefined ? null : +(cpuWall / wasmWall).toFixed(2),
  wasm_heap_mb: Number(heapMB),
}));
