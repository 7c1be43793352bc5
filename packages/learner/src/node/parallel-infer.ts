// Parallel inference on worker_threads (Node): N copies of a model, each on its own one-thread wasm
// backend, each running a contiguous share of every batch. XNNPACK's thread pool splits each layer
// between the cores and waits at every layer's end; two whole forward passes side by side keep
// both cores busy (the learner bench: two_process_forward_ceiling_ratio against two_core_*_ratio).
// Used by ExportedModel.predictBatch and its tta; the same model and the same per-image
// arithmetic, so the same outputs (parallel-infer.test.ts).
import type * as tfl from '@tensorflow/tfjs-layers';
import { packLayout, packValues } from '../data-parallel.js';
import { LearnerError } from '../errors.js';
import { plannedWorkers, ReplicaPool, startReplicas, workerScript, type Replica } from './replica.js';

export interface InferenceSpec {
  backendModule: string;
  backendName: string;
  topology: unknown;
  weightShapes: number[][];
  weights: Float32Array;
  /** Fold frozen batch norms into their relu6 (fusedInference), as the main thread's wasm forward does. */
  fuse: boolean;
}

export interface InferenceRequest {
  type: 'run';
  x: Float32Array;
  shape: number[];
}

export type InferenceReply = { type: 'ready' } | { type: 'out'; values: Float32Array };

/** Memory a copy needs besides the main process: its wasm heap (weights, one batch's activations) and V8. */
const COPY_BYTES = 0.5e9;

/** Rows [start, start + rows) of n for each of k workers, as even as can be; empty shares dropped. */
export function splitRows(n: number, k: number): Array<{ start: number; rows: number }> {
  const out: Array<{ start: number; rows: number }> = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const rows = Math.floor(n / k) + (i < n % k ? 1 : 0);
    if (rows > 0) out.push({ start, rows });
    start += rows;
  }
  return out;
}

/** N copies of one model on worker_threads. */
export class InferencePool extends ReplicaPool<InferenceReply> {
  /** Workers without a request, and callers waiting for one. */
  private readonly free: Replica<InferenceReply>[];
  private waiters: Array<{ resolve: (r: Replica<InferenceReply>) => void; reject: (e: Error) => void }> = [];

  private constructor(replicas: Replica<InferenceReply>[]) {
    super(replicas, 'inference worker');
    this.free = [...replicas];
  }

  /** Starts `workers` copies of the model (its weights as they are now) and waits until each is built. */
  static async start(model: tfl.LayersModel, workers: number, options: { fuse: boolean }): Promise<InferencePool> {
    const shapes = model.weights.map((w) => [...w.shape] as number[]);
    const spec: InferenceSpec = {
      backendModule: '@bears/backend-wasm',
      backendName: 'wasm',
      topology: model.toJSON(undefined, false),
      weightShapes: shapes,
      weights: packValues(await Promise.all(model.weights.map((w) => w.read().data())), packLayout(shapes)),
      fuse: options.fuse,
    };
    return new InferencePool(await startReplicas<InferenceReply>(workerScript('infer-worker'), workers, 'inference worker', { type: 'init', spec }));
  }

  /**
   * The model on n inputs (n x ...image floats, row-major): each worker runs a contiguous share of
   * the rows, and the outputs come back in row order. On any failure every worker is stopped and the
   * error thrown.
   */
  async run(x: Float32Array, n: number, image: number[]): Promise<Float32Array> {
    const rowSize = checkRows(x, n, image);
    const shares = splitRows(n, this.replicas.length);
    // Each share is a fresh slice, so it is handed over rather than copied a second time.
    const outs = await Promise.all(shares.map((share) => this.send(x.slice(share.start * rowSize, (share.start + share.rows) * rowSize), share.rows, image, true)));
    const dim = outs[0]!.length / shares[0]!.rows;
    const values = new Float32Array(n * dim);
    outs.forEach((o, i) => values.set(o, shares[i]!.start * dim));
    return values;
  }

  /**
   * The model on n inputs, all on the first worker free (callers queue for one): callers that keep
   * one request per worker going have no worker wait for another. `x` is copied, not detached: after a
   * failure the caller can run it elsewhere.
   * On any failure every worker is stopped and the error thrown.
   */
  runOne(x: Float32Array, n: number, image: number[]): Promise<Float32Array> {
    checkRows(x, n, image);
    return this.send(x, n, image, false);
  }

  /** n checked rows on the first worker free; `transfer` detaches x instead of copying it. */
  private async send(x: Float32Array, n: number, image: number[], transfer: boolean): Promise<Float32Array> {
    const replica = await this.acquire();
    try {
      return await this.round(async () => {
        const msg: InferenceRequest = { type: 'run', x, shape: [n, ...image] };
        const reply = await replica.request(msg, transfer ? [x.buffer as ArrayBuffer] : []);
        return (reply as Extract<InferenceReply, { type: 'out' }>).values;
      });
    } finally {
      this.release(replica);
    }
  }

  private acquire(): Promise<Replica<InferenceReply>> {
    if (this.closed) return Promise.reject(closedError());
    const r = this.free.pop();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(r: Replica<InferenceReply>): void {
    const w = this.waiters.shift();
    if (w) w.resolve(r);
    else this.free.push(r);
  }

  override async close(): Promise<void> {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(closedError());
    await super.close();
  }
}

const closedError = () => new LearnerError('the inference worker pool is closed');

/** Floats per row of `image`, after checking that x holds n rows. */
function checkRows(x: Float32Array, n: number, image: number[]): number {
  const rowSize = image.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(n) || n < 1 || x.length !== n * rowSize) throw new LearnerError(`inference pool: expected ${n} x [${image}] floats, got ${x.length}`);
  return rowSize;
}

/** A pool of `wanted` copies, or undefined when memory leaves room for fewer than 2. */
export async function startInferencePool(model: tfl.LayersModel, wanted: number, options: { fuse: boolean }): Promise<InferencePool | undefined> {
  const workers = plannedWorkers(wanted, COPY_BYTES);
  if (workers < 2) return undefined;
  return InferencePool.start(model, workers, options);
}
