// npm run bench (in packages/backend-node-gpu): MobileNetV2 forward pass and SGD training step
// on node-gpu (tfjs-node-gpu, CUDA) against wasm in one process, plus node-cpu when installed.
// Needs a machine where tfjs-node-gpu works (see README); elsewhere it says why and exits 0.
//   node bench-dist/bench/node-gpu.bench.js [--size 224] [--batch 1] [--train-batch 16] [--runs 5] [--warmup 2]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import '@bears/backend-wasm';
import '../index.js';
import { timeMobileNetV2, type BenchConfig, type BenchTimes } from '@bears/backend/testing';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '1' },
    'train-batch': { type: 'string', default: '16' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
  },
});
const int = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
};
const config: BenchConfig = {
  inputSize: int('size', values.size, 32),
  forwardBatch: int('batch', values.batch, 1),
  trainBatch: int('train-batch', values['train-batch'], 1),
  runs: int('runs', values.runs, 1),
  warmup: int('warmup', values.warmup, 0),
};

// Refuse rather than time a silent CPU fallback (BEARS_ALLOW_CPU_FALLBACK would make the figures lie).
let gpu;
try {
  gpu = await useBackend('node-gpu', { env: null });
  if (gpu.capabilities.accelerator !== 'gpu') throw new Error(`node-gpu started without the GPU (${gpu.capabilities.details})`);
} catch (err) {
  const reason = (err as Error).message;
  console.log('node-gpu benchmark cannot run on this machine:');
  console.log(reason.replace(/^/gm, '  '));
  console.log('It needs Linux x64 with an NVIDIA GPU, CUDA 11.2, cuDNN 8.1 and `npm install @tensorflow/tfjs-node-gpu@4.22.0` (see packages/backend-node-gpu/README.md).');
  console.log(JSON.stringify({ benchmark: 'mobilenet_v2_node_gpu', ran: false, reason: reason.split('\n')[0] }));
  process.exit(0);
}

type Row = { backend: string; details: string } & BenchTimes;
const rows: Row[] = [];
for (const name of ['node-gpu', 'node-cpu', 'wasm']) {
  try {
    const active = name === 'node-gpu' ? gpu : await useBackend(name, { env: null });
    process.stderr.write(`[bench] ${name}: running...\n`);
    rows.push({ backend: name, details: active.capabilities.details ?? '', ...(await timeMobileNetV2(config)) });
  } catch (err) {
    if (name === 'wasm') throw err;
    process.stderr.write(`[bench] ${name} skipped: ${(err as Error).message.split('\n')[0]}\n`);
  }
}
const wasm = rows.find((r) => r.backend === 'wasm')!;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
console.log(`MobileNetV2 (${rows[0]!.params.toLocaleString('en')} params, random weights) in Node ${process.version}, tfjs-core ${tf.version_core}, input ${config.inputSize}x${config.inputSize}, forward batch ${config.forwardBatch}, train batch ${config.trainBatch} (SGD step), median of ${config.runs} after ${config.warmup} warm-up`);
console.log('speed-up ratio = wasm time / backend time (>1: faster than wasm)\n');
console.log(`${'backend'.padEnd(9)} ${'forward'.padStart(10)} ${'train step'.padStart(11)} ${'fwd ratio'.padStart(9)} ${'train ratio'.padStart(11)}  device`);
for (const r of rows) {
  console.log(`${r.backend.padEnd(9)} ${fmt(r.forwardMs).padStart(10)} ${fmt(r.trainMs).padStart(11)} ${(wasm.forwardMs / r.forwardMs).toFixed(2).padStart(9)} ${(wasm.trainMs / r.trainMs).toFixed(2).padStart(11)}  ${r.details}`);
}
const json: Record<string, unknown> = { benchmark: 'mobilenet_v2_node_gpu', ran: true, input_size: config.inputSize, forward_batch: config.forwardBatch, train_batch: config.trainBatch, runs: config.runs };
for (const r of rows) {
  const key = r.backend.replace('-', '_');
  json[`${key}_forward_ms`] = Math.round(r.forwardMs * 10) / 10;
  json[`${key}_train_step_ms`] = Math.round(r.trainMs * 10) / 10;
  if (r.backend !== 'wasm') {
    json[`${key}_vs_wasm_forward_speedup_ratio`] = Math.round((wasm.forwardMs / r.forwardMs) * 1000) / 1000;
    json[`${key}_vs_wasm_train_step_speedup_ratio`] = Math.round((wasm.trainMs / r.trainMs) * 1000) / 1000;
  }
}
console.log(JSON.stringify(json));
