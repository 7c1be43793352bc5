// npm run bench: serving latency and throughput on this CPU, every ratio measured in one run.
// Model: BEARS_BENCH_MODEL (a `bears train` export) or a MobileNet classifier at 224 px trained on
// a few bear thumbnails by the test support. BEARS_BENCH_SECONDS sets each load phase (default 10);
// BEARS_THREADS the wasm threads of the in-process side and the single-process servers (default auto:
// every core, as a server with one process runs). BEARS_BENCH_ONLY runs some sections, comma-separated,
// while iterating: forward (folded vs exported), float16, http (one at a time), microbatch, workers.
// BEARS_NODE_FLAGS: V8/Node flags for every server process (both sides of each ratio), e.g. heap sizes.
import { configureWasmThreads, parseThreads, wasmThreadCount, wasmThreadNote } from '@bears/backend-wasm/node';
import { useBackend } from '@bears/backend';
import autocannon from 'autocannon';
import { readFile } from 'node:fs/promises';
import { loadavg, cpus } from 'node:os';
import { decodeForModel } from '@bears/data';
import type { ExportedModel } from '@bears/learner';
import { DEFAULT_MAX_BATCH_SIZE } from '../batcher.js';
import { threadsPerProcess } from '../node/config.js';
import { loadModelFolder } from '../node/load.js';
import { writeFloat16Export } from '../node/quantize.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bearPhotos, trainTestModel } from '../test-support/fixtures.js';
import { spawnServer, type ChildServer } from '../test-support/spawn-server.js';
import { forwardLoops } from './forward-ceiling.js';
import { cpuOfTree, otherCpuMeter } from './proc-cpu.js';

const SECONDS = Number(process.env.BEARS_BENCH_SECONDS ?? 10);
/** Each load phase runs in ROUNDS slices, in A B C D D C B A order, so drift on a shared machine hits every side alike. */
const ROUNDS = 2; // even
const CLIENTS = 16;
const LESSON_S_PER_IMAGE = 0.2;
const SECTIONS = ['forward', 'float16', 'http', 'microbatch', 'workers'] as const;
const ONLY = new Set((process.env.BEARS_BENCH_ONLY || SECTIONS.join(',')).split(',').map((x) => x.trim()));
const NODE_FLAGS = (process.env.BEARS_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
for (const x of ONLY) if (!(SECTIONS as readonly string[]).includes(x)) throw new Error(`BEARS_BENCH_ONLY: unknown section '${x}' (${SECTIONS.join(', ')})`);
const want = (x: (typeof SECTIONS)[number]) => ONLY.has(x);

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

/** CLIENTS connections posting the photos for `seconds`; every answered request's latency. */
function load(port: number, photos: Buffer[], seconds: number): Promise<{ ok: number; latencies: number[] }> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/predict`,
        connections: CLIENTS,
        duration: seconds,
        requests: photos.map((body) => ({ method: 'POST', path: '/predict', headers: { 'content-type': 'image/jpeg' }, body })),
      },
      (err, r) => {
        if (err) return reject(err);
        if (r.errors || r.non2xx || r.timeouts) return reject(new Error(`load phase had ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`));
        resolve({ ok: r['2xx'], latencies });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
}

/** Images per forward pass on a server so far (its /metrics histogram). */
async function batches(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (k: string) => Number(new RegExp(`^bears_batch_size_${k} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: get('sum'), count: get('count') };
}

interface Stats {
  rps: number;
  p50: number;
  p99: number;
  /** CPU time of the server's processes (all threads) per answered image; NaN where /proc is missing. */
  cpuMsPerImage: number;
  /** The part of it on the processes' main threads. */
  mainMsPerImage: number;
  clientCpuMsPerImage: number;
  /** Share of all cores the load generator took during the phase (%). */
  clientCpuPct: number;
  meanBatch: number;
}

interface Phase {
  name: string;
  args: string[];
  server?: ChildServer;
  ok: number;
  latencies: number[];
  batch: { sum: number; count: number };
  serverCpuMs: number;
  serverMainMs: number;
  /** CPU this process (the autocannon load generator) spent during the phase. */
  clientCpuMs: number;
  /** Wall time of the phase's slices. */
  wallMs: number;
}

async function main() {
  const load0 = loadavg()[0]!;
  // The server's thread count for one process (BEARS_THREADS, default 'auto': every core), resolved
  // as the server resolves it: the in-process side runs on it and the single-process servers are
  // started with it as a number.
  configureWasmThreads(threadsPerProcess({ threads: parseThreads(process.env.BEARS_THREADS), workers: 1 }));
  const backend = await useBackend('wasm', { env: null });
  const threads = wasmThreadCount();
  const threadNote = wasmThreadNote();
  const threadSetting = process.env.BEARS_THREADS ? `BEARS_THREADS=${process.env.BEARS_THREADS}` : 'auto';

  const modelDir = process.env.BEARS_BENCH_MODEL ?? (await trainTestModel(224));
  const photoFiles = [...(await bearPhotos('grizzly', 3)), ...(await bearPhotos('black', 3)), ...(await bearPhotos('teddy', 3))];
  const photos = await Promise.all(photoFiles.map((f) => readFile(f)));
  const one = new Uint8Array(photos[0]!);

  const folded = await loadModelFolder(modelDir);
  const plain = await loadModelFolder(modelDir, { foldBatchNorm: false });
  const pre = { size: folded.inputSize, resize: folded.metadata.resize ?? 'crop', normalize: folded.metadata.normalize } as const;
  const input = await decodeForModel(backend.codec, one, pre);
  const batch8 = new Float32Array(8 * input.length);
  for (let i = 0; i < 8; i++) batch8.set(input, i * input.length);
  const fwd = async (m: ExportedModel, n: number) => (n === 1 ? m.predictPrepared(input, 1) : m.predictPrepared(batch8, 8));
  // Interleaved so a load spike on the shared machine hits both sides alike.
  const f1: number[] = [], p1: number[] = [], f8: number[] = [], p8: number[] = [];
  for (let r = 0; r < (want('forward') ? 5 : 0); r++) {
    f1.push(...(await timeIt(6, () => fwd(folded, 1), 1)));
    p1.push(...(await timeIt(6, () => fwd(plain, 1), 1)));
    f8.push(...(await timeIt(2, () => fwd(folded, 8), 1)));
    p8.push(...(await timeIt(2, () => fwd(plain, 8), 1)));
  }
  plain.dispose();

  // float16 weights (for Workers' static assets): accuracy on held-out photos against float32.
  let right32 = 0, right16 = 0, agree = 0, maxDiff = 0, n = 0;
  let sizes = { bytesBefore: 0, bytesAfter: 0 };
  if (want('float16')) {
  const f16dir = path.join(await mkdtemp(path.join(tmpdir(), 'bears-bench-f16-')), 'model');
  sizes = await writeFloat16Export(modelDir, f16dir);
  const half = await loadModelFolder(f16dir);
  for (const cls of folded.classes) {
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
  half.dispose();
  }

  // 16 concurrent clients on four servers, all started first (an idle server costs no CPU):
  // micro-batching off and on at the default threads, then 1 and 2 worker processes of one thread
  // each (process scaling: the second process, not a bigger thread pool).
  const phases: Phase[] = [
    { name: 'nobatch', args: ['--threads', String(threads), '--max-batch-size', '1'], on: want('microbatch') },
    { name: 'batched', args: ['--threads', String(threads)], on: want('microbatch') || want('http') },
    { name: 'workers1', args: ['--threads', '1'], on: want('workers') },
    { name: 'workers2', args: ['--threads', '1', '--workers', '2'], on: want('workers') },
  ].map(({ on, ...p }) => ({ ...p, on, ok: 0, latencies: [], batch: { sum: 0, count: 0 }, serverCpuMs: 0, serverMainMs: 0, clientCpuMs: 0, wallMs: 0 }))
    .filter((p) => p.on);
  const phase = (name: string) => phases.find((p) => p.name === name);
  const other = otherCpuMeter();
  const inproc: number[] = [];
  const http: number[] = [];
  // The hardware's own process scaling, before and after the load phases (alone, together | together, alone).
  const loops = want('workers') ? await forwardLoops(modelDir, photoFiles[0]!) : undefined;
  const ceiling = { alone: 0, together: 0 };
  try {
    for (const p of phases) p.server = await spawnServer([modelDir, ...p.args, '--port', '0', '--quiet'], { nodeFlags: NODE_FLAGS });
    const batched = phase('batched')?.server;
    // One request at a time, same photo: in this process (the server's road without HTTP: codec
    // decode + preprocess + forward) and over HTTP to the default server, interleaved.
    const local = () => timeIt(6, async () => folded.predictPrepared(await decodeForModel(backend.codec, one, pre), 1), 1);
    const remote = (warmup: number) =>
      timeIt(6, async () => {
        const r = await fetch(`http://127.0.0.1:${batched!.port}/predict`, { method: 'POST', body: one, headers: { 'content-type': 'image/jpeg' } });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        await r.arrayBuffer();
      }, warmup);
    for (let r = 0; r < (batched && want('http') ? 5 : 0); r++) {
      inproc.push(...(await local()));
      http.push(...(await remote(r === 0 ? 10 : 1))); // a fresh server's first requests are slow
    }
    folded.dispose();
    for (const p of phases) await load(p.server!.port, photos, 2); // warm-up: JIT, wasm heap, connections
    if (loops) (ceiling.alone += await loops.alone(3)), (ceiling.together += await loops.together(3));
    other.start();
    const order = Array.from({ length: ROUNDS }, (_, r) => (r % 2 ? [...phases].reverse() : phases)).flat();
    for (const p of order) {
      const port = p.server!.port;
      const [b0, cpu0] = [await batches(port), cpuOfTree(p.server!.child.pid!)];
      const [client0, t0] = [process.cpuUsage(), performance.now()];
      const { ok, latencies } = await load(port, photos, SECONDS / ROUNDS);
      const client = process.cpuUsage(client0);
      p.wallMs += performance.now() - t0;
      p.clientCpuMs += (client.user + client.system) / 1000;
      const cpu1 = cpuOfTree(p.server!.child.pid!);
      p.serverCpuMs += cpu1.all - cpu0.all;
      p.serverMainMs += cpu1.main - cpu0.main;
      p.ok += ok;
      p.latencies.push(...latencies);
      const b1 = await batches(port); // for workers2, the counters of whichever worker answers
      p.batch = { sum: p.batch.sum + b1.sum - b0.sum, count: p.batch.count + b1.count - b0.count };
    }
    other.stop();
    if (loops) (ceiling.together += await loops.together(3)), (ceiling.alone += await loops.alone(3));
  } finally {
    loops?.stop();
    await Promise.all(phases.map((p) => p.server?.stop()));
  }
  // Each phase ran SECONDS in all (ROUNDS slices); autocannon counts the answers within its duration.
  const stats = (p: Phase | undefined): Stats => (p ? {
    rps: p.ok / SECONDS,
    p50: Math.round(quantile(p.latencies, 0.5)),
    p99: Math.round(quantile(p.latencies, 0.99)),
    cpuMsPerImage: p.serverCpuMs / p.ok,
    mainMsPerImage: p.serverMainMs / p.ok,
    clientCpuMsPerImage: p.clientCpuMs / p.ok,
    clientCpuPct: (100 * p.clientCpuMs) / (p.wallMs * cpus().length),
    meanBatch: p.batch.count ? p.batch.sum / p.batch.count : 0,
  } : ({} as Stats));
  const [noBatch, batched, w1, w2] = ['nobatch', 'batched', 'workers1', 'workers2'].map((n) => stats(phase(n)));

  const otherPct = other.percent ?? 0;
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
    threads,
    nobatch_img_per_s: round(noBatch.rps),
    nobatch_p50_ms: noBatch.p50,
    nobatch_p99_ms: noBatch.p99,
    img_per_s: round(batched.rps),
    p50_ms: batched.p50,
    p99_ms: batched.p99,
    mean_batch: round(batched.meanBatch),
    microbatch_throughput_ratio: round(batched.rps / noBatch.rps, 3),
    microbatch_p99_ratio: round(batched.p99 / noBatch.p99, 3),
    workers1_img_per_s: round(w1.rps),
    workers1_p99_ms: w1.p99,
    workers2_img_per_s: round(w2.rps),
    workers2_p99_ms: w2.p99,
    workers_throughput_ratio: round(w2.rps / w1.rps, 3),
    forward_2proc_ceiling_ratio: round(ceiling.together / ceiling.alone, 3),
    // What 2 workers could reach at their measured CPU per image if they had every core but what the
    // load generator and other processes took, against 1 worker as measured.
    workers_cpu_bound_ratio: round((cpus().length * 1000 * (1 - (otherPct + w2.clientCpuPct) / 100)) / w2.cpuMsPerImage / w1.rps, 3),
    threads_throughput_ratio: round(batched.rps / w1.rps, 3),
    nobatch_cpu_ms_per_img: round(noBatch.cpuMsPerImage, 1),
    cpu_ms_per_img: round(batched.cpuMsPerImage, 1),
    workers1_cpu_ms_per_img: round(w1.cpuMsPerImage, 1),
    workers2_cpu_ms_per_img: round(w2.cpuMsPerImage, 1),
    // Where a process's CPU goes: its main thread (HTTP, JavaScript, the one-thread forward pass) and
    // every other thread (sharp's decode, GC helpers). One worker is bound by its main thread; two
    // share the cores, so every other-thread millisecond costs them throughput that one never pays.
    workers1_main_ms_per_img: round(w1.mainMsPerImage, 1),
    workers1_other_threads_ms_per_img: round(w1.cpuMsPerImage - w1.mainMsPerImage, 1),
    workers2_main_ms_per_img: round(w2.mainMsPerImage, 1),
    workers2_other_threads_ms_per_img: round(w2.cpuMsPerImage - w2.mainMsPerImage, 1),
    // The same bound on otherwise idle cores, from 1 worker's own split: it runs at its main thread's
    // pace, and 2 workers pay main + other threads on every image out of the cores the load generator
    // leaves. 1.8x needs other threads <= 1/8 of the main thread's time (client share aside).
    workers_thread_bound_ratio: round(cpus().length * (1 - w2.clientCpuPct / 100) * (w1.mainMsPerImage / w1.cpuMsPerImage), 3),
    // What the other threads could take per image for 2 workers to reach 1.8x of 1 on the cores left.
    workers_1_8_other_threads_budget_ms_per_img: round((cpus().length * 1000 * (1 - (otherPct + w2.clientCpuPct) / 100)) / (1.8 * w1.rps) - w2.mainMsPerImage, 1),
    other_cpu_pct: other.percent === undefined ? null : round(other.percent, 1),
    client_cpu_ms_per_img: round(w2.clientCpuMsPerImage, 2),
    client_cpu_pct: round(w2.clientCpuPct, 1),
    float16_size_ratio: round(sizes.bytesAfter / sizes.bytesBefore, 3),
    float16_eval_images: want('float16') ? n : NaN,
    float32_accuracy: round(right32 / n, 4),
    float16_accuracy: round(right16 / n, 4),
    float16_agreement_ratio: round(agree / n, 4),
    float16_max_prob_diff: want('float16') ? round(maxDiff, 5) : NaN,
    lesson_s_per_image: want('microbatch') ? LESSON_S_PER_IMAGE : NaN,
    s_per_image: round(1 / batched.rps, 4),
    lesson_speedup_ratio: round(LESSON_S_PER_IMAGE * batched.rps, 2),
    load_seconds: SECONDS,
  };
  type Row = [string, string, string, (typeof SECTIONS)[number]];
  const rows = ([
    ['in-process predict p50 (decode + forward)', `${r.inproc_p50_ms} ms`, '', 'http'],
    ['HTTP predict p50, one at a time', `${r.http_p50_ms} ms`, `http_overhead_ratio ${r.http_overhead_ratio} (target <= 1.25)`, 'http'],
    ['forward, batch 1: folded / exported', `${r.forward_b1_folded_ms} / ${r.forward_b1_plain_ms} ms`, `folded_forward_ratio ${r.folded_forward_ratio} (> 1: fold is faster)`, 'forward'],
    ['forward, batch 8: folded / exported', `${r.forward_b8_folded_ms} / ${r.forward_b8_plain_ms} ms`, `folded_forward_b8_ratio ${r.folded_forward_b8_ratio}`, 'forward'],
    [`16 clients, 1 process x ${threads} threads, no micro-batching`, `${r.nobatch_img_per_s} img/s, p50 ${r.nobatch_p50_ms} ms, p99 ${r.nobatch_p99_ms} ms`, `server CPU ${r.nobatch_cpu_ms_per_img} ms per image`, 'microbatch'],
    [`16 clients, 1 process x ${threads} threads, micro-batching (max ${DEFAULT_MAX_BATCH_SIZE})`, `${r.img_per_s} img/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`, `microbatch_throughput_ratio ${r.microbatch_throughput_ratio} (target >= 1.1), p99 x${r.microbatch_p99_ratio} (<= 1.5); mean batch ${r.mean_batch}; server CPU ${r.cpu_ms_per_img} ms per image`, 'microbatch'],
    ['16 clients, 1 process x 1 thread', `${r.workers1_img_per_s} img/s, p99 ${r.workers1_p99_ms} ms`, `${want('microbatch') ? `threads_throughput_ratio ${r.threads_throughput_ratio} (${threads} threads vs 1); ` : ''}server CPU ${r.workers1_cpu_ms_per_img} ms per image: main thread ${r.workers1_main_ms_per_img}, other threads ${r.workers1_other_threads_ms_per_img}`, 'workers'],
    ['16 clients, 2 processes x 1 thread', `${r.workers2_img_per_s} img/s, p99 ${r.workers2_p99_ms} ms`, `workers_throughput_ratio ${r.workers_throughput_ratio} (process scaling, target >= 1.8 on 2 idle cores); server CPU ${r.workers2_cpu_ms_per_img} ms per image: main threads ${r.workers2_main_ms_per_img}, other threads ${r.workers2_other_threads_ms_per_img}`, 'workers'],
    ['forward passes alone, 2 processes at once vs 1', `${r.forward_2proc_ceiling_ratio}x`, 'forward_2proc_ceiling_ratio: what the cores give a second process at all (no HTTP, no decode)', 'workers'],
    ['2 workers at their CPU per image on the cores left', `${r.workers_cpu_bound_ratio}x`, `workers_cpu_bound_ratio: the most workers_throughput_ratio could be with the load generator and other processes as measured; 1.8x needs other threads <= ${r.workers_1_8_other_threads_budget_ms_per_img} ms per image (measured ${r.workers2_other_threads_ms_per_img})`, 'workers'],
    ['2 workers on otherwise idle cores, at 1 worker\'s CPU split', `${r.workers_thread_bound_ratio}x`, `workers_thread_bound_ratio: 1 worker runs at its main thread's pace (${r.workers1_main_ms_per_img} ms per image), 2 pay ${r.workers1_cpu_ms_per_img} ms of CPU per image on ${r.cpus} cores less the load generator's share; 1.8x needs other threads <= ${round(((r.cpus * (1 - r.client_cpu_pct / 100)) / 1.8 - 1) * r.workers1_main_ms_per_img, 1)} ms per image`, 'workers'],
    ['load generator (autocannon, this process), 2 workers', `${r.client_cpu_ms_per_img} ms per image, ${r.client_cpu_pct}% of the CPUs`, `it shares the cores with the servers (its CPU per image in the 2-worker phase)`, 'workers'],
    ['other processes during the load phases', r.other_cpu_pct === null ? 'unknown' : `${r.other_cpu_pct}% of the CPUs`, 'neither this process nor the servers', 'workers'],
    ['float16 weights: size, accuracy f32 -> f16', `${r.float16_size_ratio}x, ${r.float32_accuracy} -> ${r.float16_accuracy} on ${r.float16_eval_images} photos`, `agreement ${r.float16_agreement_ratio}, max |dp| ${r.float16_max_prob_diff}`, 'float16'],
    ['vs the lesson (0.2 s per image on a CPU)', `${r.s_per_image} s per image`, `${r.lesson_speedup_ratio}x the lesson's rate`, 'microbatch'],
  ] as Row[]).filter((row) => want(row[3]));
  // Sections left out (BEARS_BENCH_ONLY) leave no keys.
  const json = Object.fromEntries(Object.entries(r).filter(([, x]) => x !== undefined && !(typeof x === 'number' && Number.isNaN(x))));
  const w = Math.max(...rows.map((x) => x[0].length));
  const v = Math.max(...rows.map((x) => x[1].length));
  console.log(`@bears/serve bench: ${r.model} (${r.input_size} px), ${r.cpus} CPUs, load average ${r.load_avg_start} -> ${r.load_avg_end}${r.load_avg_start > 0.5 * r.cpus ? ' (a loaded, shared machine: ratios are from that)' : ''}, wasm ${threads} thread${threads > 1 ? 's' : ''} (${threadSetting}${threadNote ? `; ${threadNote}` : ''})`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w)}  ${b.padEnd(v)}  ${c}`);
  console.log(JSON.stringify(json));
}

await main();
