// npm run bench: MobileNetV2 forward pass and training step in headless Chromium on every
// browser backend, with ratios against wasm measured in the same run.
//   node bench-dist/bench/browser.bench.js [--size 224] [--batch 1] [--train-batch 4] [--runs 3] [--warmup 1] [--backends webgpu,webgl,wasm]
// Without --size, a machine whose WebGPU/WebGL is a software rasteriser (SwiftShader: no GPU)
// gets a reduced run (64x64, batch 1, one timed run), which the output states.
import { parseArgs } from 'node:util';
import { startBrowserSession } from '../harness/session.js';
import type { BenchConfig, BenchTimes } from '@bears/backend/testing';

const { values } = parseArgs({
  options: {
    size: { type: 'string' },
    batch: { type: 'string' },
    'train-batch': { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    backends: { type: 'string', default: 'wasm,webgpu,webgl' },
  },
});
const int = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
};
const backends = values.backends!.split(',').map((s) => s.trim()).filter(Boolean);
if (!backends.includes('wasm')) backends.unshift('wasm'); // the baseline every ratio divides by

const FULL = { size: 224, batch: 1, trainBatch: 4, runs: 3, warmup: 1 };
const REDUCED = { size: 64, batch: 1, trainBatch: 1, runs: 1, warmup: 1 };

type Row = { backend: string; details: string; accelerator: string } & BenchTimes;
const rows: Row[] = [];
const failures: Record<string, string> = {};
const t0 = Date.now();
const session = await startBrowserSession(['bench']);
let config: BenchConfig = { inputSize: 0, forwardBatch: 0, trainBatch: 0, runs: 0, warmup: 0 };
let reducedReason = '';
try {
  let defaults = FULL;
  if (values.size === undefined) {
    const probe = await session.openPage('bench');
    const software: string[] = [];
    for (const b of backends.filter((x) => x !== 'wasm')) {
      const r = await probe.page.evaluate((name) => (globalThis as unknown as { bears: { probe(n: string): Promise<{ ok: boolean; software: boolean }> } }).bears.probe(name), b);
      if (r.ok && r.software) software.push(b);
    }
    await probe.page.context().close();
    if (software.length) {
      defaults = REDUCED;
      reducedReason = `${software.join(' and ')} run${software.length === 1 ? 's' : ''} on a software rasteriser here (no GPU), so the default run is reduced; pass --size 224 for the full size`;
    }
  }
  config = {
    inputSize: int('size', values.size ?? String(defaults.size), 32),
    forwardBatch: int('batch', values.batch ?? String(defaults.batch), 1),
    trainBatch: int('train-batch', values['train-batch'] ?? String(defaults.trainBatch), 1),
    runs: int('runs', values.runs ?? String(defaults.runs), 1),
    warmup: int('warmup', values.warmup ?? String(defaults.warmup), 0),
  };
  for (const backend of backends) {
    const page = await session.openPage('bench');
    try {
      process.stderr.write(`[bench] ${backend}: running...\n`);
      rows.push(await page.page.evaluate(([b, c]) => (globalThis as unknown as { bears: { bench(b: string, c: BenchConfig): Promise<Row> } }).bears.bench(b, c), [backend, config] as const));
    } catch (err) {
      failures[backend] = ((err as Error).message ?? String(err)).split('\n')[0]!;
    } finally {
      await page.page.context().close();
    }
  }
} finally {
  await session.close();
}

const wasm = rows.find((r) => r.backend === 'wasm');
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
console.log(`MobileNetV2 (${(rows[0]?.params ?? 0).toLocaleString('en')} params, random weights) in headless Chromium, input ${config.inputSize}x${config.inputSize}, forward batch ${config.forwardBatch}, train batch ${config.trainBatch} (SGD step), median of ${config.runs} after ${config.warmup} warm-up`);
if (reducedReason) console.log(`NOTE: reduced configuration: ${reducedReason}.`);
else if (config.inputSize !== 224) console.log(`NOTE: reduced configuration (--size ${config.inputSize}; MobileNetV2's own input is 224x224).`);
console.log('speed-up ratio = wasm time / backend time (>1: faster than wasm)\n');
console.log(`${'backend'.padEnd(8)} ${'forward'.padStart(10)} ${'train step'.padStart(11)} ${'fwd ratio'.padStart(9)} ${'train ratio'.padStart(11)}  device`);
for (const r of rows) {
  const fr = wasm ? (wasm.forwardMs / r.forwardMs).toFixed(2) : '-';
  const tr = wasm ? (wasm.trainMs / r.trainMs).toFixed(2) : '-';
  console.log(`${r.backend.padEnd(8)} ${fmt(r.forwardMs).padStart(10)} ${fmt(r.trainMs).padStart(11)} ${fr.padStart(9)} ${tr.padStart(11)}  ${r.details}`);
}
for (const [b, e] of Object.entries(failures)) console.log(`${b.padEnd(8)} FAILED: ${e}`);
if (rows.some((r) => r.accelerator === 'cpu' && r.backend !== 'wasm')) {
  console.log('\nNOTE: a GPU backend above ran on a software adapter (SwiftShader, no GPU on this machine): its ratios measure a CPU emulation, not a GPU.');
}
const json: Record<string, unknown> = {
  benchmark: 'mobilenet_v2_browser',
  input_size: config.inputSize,
  forward_batch: config.forwardBatch,
  train_batch: config.trainBatch,
  runs: config.runs,
  reduced: config.inputSize !== 224,
  total_s: Math.round((Date.now() - t0) / 100) / 10,
};
for (const r of rows) {
  json[`${r.backend}_forward_ms`] = Math.round(r.forwardMs * 10) / 10;
  json[`${r.backend}_train_step_ms`] = Math.round(r.trainMs * 10) / 10;
  json[`${r.backend}_software`] = r.accelerator === 'cpu' && r.backend !== 'wasm';
  if (wasm && r.backend !== 'wasm') {
    json[`${r.backend}_vs_wasm_forward_speedup_ratio`] = Math.round((wasm.forwardMs / r.forwardMs) * 1000) / 1000;
    json[`${r.backend}_vs_wasm_train_step_speedup_ratio`] = Math.round((wasm.trainMs / r.trainMs) * 1000) / 1000;
  }
}
for (const [b, e] of Object.entries(failures)) json[`${b}_error`] = e;
console.log(JSON.stringify(json));
if (!wasm) process.exitCode = 1;
