// npm run bench: serving latency and throughput on this CPU, every ratio measured in one run.
// Model: BEARS_BENCH_MODEL (a `bears train` export) or a MobileNet classifier at 224 px trained on
// a few bear thumbnails by the test support. BEARS_BENCH_SECONDS sets each load phase (default 10).
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import autocannon from 'autocannon';
import { readFile } from 'node:fs/promises';
import { loadavg, cpus } from 'node:os';
import { decodeForModel } from '@bears/data';
import type { ExportedModel } from '@bears/learner';
import { loadModelFolder } from '../node/load.js';
import { writeFloat16Export } from '../node/quantize.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bearPhotos, trainTestModel } from '../test-support/fixtures.js';
import { spawnServer } from '../test-support/spawn-server.js';

const SECONDS = Number(process.env.BEARS_BENCH_SECONDS ?? 10);
const LESSON_S_PER_IMAGE = 0.2;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function timeIt(n: number, fn: () => Promise<unknown>, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function load(port: number, photos: Buffer[], connections: number) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/predict`,
    connections,
    duration: SECONDS,
    requests: photos.map((body) => ({ method: 'POST', path: '/predict', headers: { 'content-type': 'image/jpeg' }, body })),
  });
  if (r.errors || r.non2xx || r.timeouts) throw new Error(`load phase had ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r['2xx'] };
}

async function withServer<T>(args: string[], fn: (port: number) => Promise<T>): Promise<T> {
  const s = await spawnServer([...args, '--port', '0', '--quiet']);
  try {
    return await fn(s.port);
  } finally {
    await s.stop();
  }
}

async function main() {
  const load0 = loadavg()[0]!;
  const modelDir = process.env.BEARS_BENCH_MODEL ?? (await trainTestModel(224));
  const photos = await Promise.all([...(await bearPhotos('grizzly', 3)), ...(await bearPhotos('black', 3)), ...(await bearPhotos('teddy', 3))].map((f) => readFile(f)));
  const one = new Uint8Array(photos[0]!);

  // In-process: the same road as the server (codec decode + preprocess + forward), no HTTP.
  const backend = await useBackend('wasm', { env: null });
  const folded = await loadModelFolder(modelDir);
  const plain = await loadModelFolder(modelDir, { foldBatchNorm: false });
  const pre = { size: folded.inputSize, resize: folded.metadata.resize ?? 'crop', normalize: folded.metadata.normalize } as const;
  const inproc = await timeIt(30, async () => folded.predictPrepared(await decodeForModel(backend.codec, one, pre), 1));
  const input = await decodeForModel(backend.codec, one, pre);
  const batch8 = new Float32Array(8 * input.length);
  for (let i = 0; i < 8; i++) batch8.set(input, i * input.length);
  const fwd = async (m: ExportedModel, n: number) => (n === 1 ? m.predictPrepared(input, 1) : m.predictPrepared(batch8, 8));
  // Interleaved so a load spike on the shared machine hits both sides alike.
  const f1: number[] = [], p1: number[] = [], f8: number[] = [], p8: number[] = [];
  for (let r = 0; r < 5; r++) {
    f1.push(...(await timeIt(6, () => fwd(folded, 1), 1)));
    p1.push(...(await timeIt(6, () => fwd(plain, 1), 1)));
    f8.push(...(await timeIt(2, () => fwd(folded, 8), 1)));
    p8.push(...(await timeIt(2, () => fwd(plain, 8), 1)));
  }
  plain.dispose();

  // float16 weights (for Workers' static assets): accuracy on held-out photos against float32.
  const f16dir = path.join(await mkdtemp(path.join(tmpdir(), 'bears-bench-f16-')), 'model');
  const sizes = await writeFloat16Export(modelDir, f16dir);
  const half = await loadModelFolder(f16dir);
  const classes = folded.classes;
  let right32 = 0, right16 = 0, agree = 0, maxDiff = 0, n = 0;
  for (const cls of classes) {
    for (const file of await bearPhotos(cls, 10).catch(() => [])) {
      const x = await decodeForModel(backend.codec, new Uint8Array(await readFile(file)), pre);
      const [a] = await folded.predictPrepared(x, 1);
      const [b] = await half.predictPrepared(x, 1);
      n++;
      if (a!.label === cls) right32++;
      if (b!.label === cls) right16++;
      if (a!.label === b!.label) agree++;
      a!.probabilities.forEach((p, k) => (maxDiff = Math.max(maxDiff, Math.abs(p - b!.probabilities[k]!))));
    }
  }
  folded.dispose();
  half.dispose();

  // HTTP: one request at a time against a server process, same photo.
  const http = await withServer([modelDir], async (port) =>
    timeIt(30, async () => {
      const r = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: one, headers: { 'content-type': 'image/jpeg' } });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      await r.arrayBuffer();
    }),
  );

  // 16 concurrent clients: micro-batching off vs on, then 1 vs 2 worker processes.
  const noBatch = await withServer([modelDir, '--max-batch-size', '1'], (port) => load(port, photos, 16));
  const batched = await withServer([modelDir], (port) => load(port, photos, 16));
  const w2 = await withServer([modelDir, '--workers', '2'], (port) => load(port, photos, 16));

  const r = {
    model: modelDir,
    input_size: pre.size,
    cpus: cpus().length,
    load_avg_start: round(load0),
    load_avg_end: round(loadavg()[0]!),
    inproc_p50_ms: round(quantile(inproc, 0.5)),
    http_p50_ms: round(quantile(http, 0.5)),
    http_overhead_ratio: round(quantile(http, 0.5) / quantile(inproc, 0.5), 3),
    forward_b1_folded_ms: round(quantile(f1, 0.5)),
    forward_b1_plain_ms: round(quantile(p1, 0.5)),
    folded_forward_ratio: round(quantile(p1, 0.5) / quantile(f1, 0.5), 3),
    forward_b8_folded_ms: round(quantile(f8, 0.5)),
    forward_b8_plain_ms: round(quantile(p8, 0.5)),
    folded_forward_b8_ratio: round(quantile(p8, 0.5) / quantile(f8, 0.5), 3),
    nobatch_img_per_s: round(noBatch.rps),
    nobatch_p99_ms: noBatch.p99,
    p50_ms: batched.p50,
    p99_ms: batched.p99,
    img_per_s: round(batched.rps),
    microbatch_throughput_ratio: round(batched.rps / noBatch.rps, 3),
    microbatch_p99_ratio: round(batched.p99 / noBatch.p99, 3),
    workers2_img_per_s: round(w2.rps),
    workers_throughput_ratio: round(w2.rps / batched.rps, 3),
    float16_size_ratio: round(sizes.bytesAfter / sizes.bytesBefore, 3),
    float16_eval_images: n,
    float32_accuracy: round(right32 / n, 4),
    float16_accuracy: round(right16 / n, 4),
    float16_agreement_ratio: round(agree / n, 4),
    float16_max_prob_diff: round(maxDiff, 5),
    lesson_s_per_image: LESSON_S_PER_IMAGE,
    s_per_image: round(1 / batched.rps, 4),
    lesson_speedup_ratio: round(LESSON_S_PER_IMAGE * batched.rps, 2),
    load_seconds: SECONDS,
  };
  const rows: [string, string, string][] = [
    ['in-process predict p50 (decode + forward)', `${r.inproc_p50_ms} ms`, ''],
    ['HTTP predict p50, one at a time', `${r.http_p50_ms} ms`, `http_overhead_ratio ${r.http_overhead_ratio} (target <= 1.25)`],
    ['forward, batch 1: folded / exported', `${r.forward_b1_folded_ms} / ${r.forward_b1_plain_ms} ms`, `folded_forward_ratio ${r.folded_forward_ratio} (> 1: fold is faster)`],
    ['forward, batch 8: folded / exported', `${r.forward_b8_folded_ms} / ${r.forward_b8_plain_ms} ms`, `folded_forward_b8_ratio ${r.folded_forward_b8_ratio}`],
    ['16 clients, no micro-batching', `${r.nobatch_img_per_s} img/s, p99 ${r.nobatch_p99_ms} ms`, ''],
    ['16 clients, micro-batching (max 8)', `${r.img_per_s} img/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`, `microbatch_throughput_ratio ${r.microbatch_throughput_ratio} (target >= 1.1), p99 x${r.microbatch_p99_ratio} (<= 1.5)`],
    ['16 clients, 2 workers', `${r.workers2_img_per_s} img/s`, `workers_throughput_ratio ${r.workers_throughput_ratio} (target >= 1.8 on 2 idle cores)`],
    ['float16 weights: size, accuracy f32 -> f16', `${r.float16_size_ratio}x, ${r.float32_accuracy} -> ${r.float16_accuracy} on ${r.float16_eval_images} photos`, `agreement ${r.float16_agreement_ratio}, max |dp| ${r.float16_max_prob_diff}`],
    ['vs the lesson (0.2 s per image on a CPU)', `${r.s_per_image} s per image`, `${r.lesson_speedup_ratio}x the lesson's rate`],
  ];
  const w = Math.max(...rows.map((x) => x[0].length));
  const v = Math.max(...rows.map((x) => x[1].length));
  console.log(`@bears/serve bench: ${r.model} (${r.input_size} px), ${r.cpus} CPUs, load average ${r.load_avg_start} -> ${r.load_avg_end}${r.load_avg_start > 0.5 * r.cpus ? ' (a loaded, shared machine: ratios are from that)' : ''}`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w)}  ${b.padEnd(v)}  ${c}`);
  console.log(JSON.stringify(r));
}

await main();
