import type { Prediction } from '@bears/learner';

/** Most images in one forward pass unless configured. */
export const DEFAULT_MAX_BATCH_SIZE = 8;

export interface BatcherOptions {
  /** Most images in one forward pass (default DEFAULT_MAX_BATCH_SIZE; 1 turns batching off). */
  maxBatchSize?: number;
  /** How long an idle batcher waits for batch mates after the first request (ms, default 2). */
  maxWaitMs?: number;
  /** Most requests waiting or running; more are refused with QueueFullError (default 64). */
  maxQueue?: number;
  /** Called with the size of every forward pass (metrics). */
  onBatch?: (size: number) => void;
  /**
   * How many requests are on their way to submit() (still reading or decoding). When it says none,
   * an idle batcher runs at once instead of waiting maxWaitMs for mates that are not coming.
   */
  arriving?: () => number;
}

/** Thrown by submit() when the queue is full: the server answers 503 with Retry-After. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

interface Entry {
  input: Float32Array;
  resolve: (p: Prediction) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
}

type Run = (batch: Float32Array, n: number) => Promise<Prediction[]>;

// A macrotask that runs right after pending I/O (Node, Bun, Deno; workerd with nodejs_compat), else
// setTimeout(0). Never a microtask: see afterPass().
const nextTurn: (f: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (f) => void (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(f)
    : (f) => void setTimeout(f, 0);

/**
 * Micro-batching: requests that arrive while a forward pass runs (or within maxWaitMs of an idle
 * start) go through the model together; each gets its own row back. One pass runs at a time,
 * which is what a CPU backend can do anyway. A failing batch is retried image by image, so one
 * bad input never fails its batch mates.
 */
export class MicroBatcher {
  readonly maxBatchSize: number;
  readonly maxWaitMs: number;
  readonly maxQueue: number;
  private pending: Entry[] = [];
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  // Inputs and the packed batch are reused: at 224 px one input is 600 KB and a batch of 8 is 4.8 MB,
  // and allocating them per request keeps V8's GC busy on every core (external memory pressure).
  private readonly free: Float32Array[] = [];
  private readonly pooled = new WeakSet<Float32Array>();
  private packed: Float32Array | undefined;
  private afterPassQueued = false;

  constructor(
    private readonly run: Run,
    private readonly inputLength: number,
    private readonly options: BatcherOptions = {},
  ) {
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 2);
    this.maxQueue = Math.max(1, options.maxQueue ?? 64);
  }

  /**
   * A buffer of one input's length to decode into. Passed to submit(), it returns to the pool once
   * its pass has run; one that never reaches submit() (a bad upload) is left to the GC.
   */
  inputBuffer(): Float32Array {
    const b = this.free.pop();
    if (b) return b;
    const fresh = new Float32Array(this.inputLength);
    this.pooled.add(fresh);
    return fresh;
  }

  /** Requests waiting plus those in the running pass. */
  get depth(): number {
    return this.pending.length + this.running;
  }

  get full(): boolean {
    return this.depth >= this.maxQueue;
  }

  submit(input: Float32Array, signal?: AbortSignal): Promise<Prediction> {
    if (input.length !== this.inputLength) return Promise.reject(new RangeError(`expected ${this.inputLength} input values, got ${input.length}`));
    if (this.full) return Promise.reject(new QueueFullError(`the prediction queue is full (${this.maxQueue} requests waiting or running)`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Prediction>((resolve, reject) => {
      const entry: Entry = { input, resolve, reject, signal };
      this.pending.push(entry);
      // A request that gives up while queued leaves the queue and costs no compute.
      signal?.addEventListener('abort', () => {
        const i = this.pending.indexOf(entry);
        if (i >= 0) {
          this.pending.splice(i, 1);
          reject(signal.reason);
        }
      }, { once: true });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running > 0 || this.pending.length === 0) return;
    const arriving = this.options.arriving?.() ?? 1;
    if (this.pending.length >= this.maxBatchSize || this.maxWaitMs === 0 || arriving === 0) {
      this.flushSoon();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    }
  }

  private flushSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // A microtask, not setTimeout(0), which Node clamps to 1 ms on every solo request.
    queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.running > 0 || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxBatchSize);
    this.running = batch.length;
    try {
      await this.runBatch(batch);
    } finally {
      // The pass has resolved, so the backend has copied or consumed the rows: they can be reused.
      for (const e of batch) if (this.pooled.has(e.input) && this.free.length < 2 * this.maxBatchSize) this.free.push(e.input);
      this.running = 0;
      this.afterPass();
    }
  }

  /**
   * The next pass starts on the event loop's next turn, not in a microtask: a forward pass blocks
   * the thread, and a chain of passes started from microtasks never lets the loop write the answers
   * just resolved or read the requests waiting on sockets (16 clients at batch 1 would run 16 passes
   * back to back, each answer held until the chain ends). Then whatever queued goes next; it waits
   * (up to maxWaitMs) only for requests still being decoded, so the next pass is fuller.
   */
  private afterPass(): void {
    if (this.pending.length === 0 || this.afterPassQueued) return;
    this.afterPassQueued = true;
    nextTurn(() => {
      this.afterPassQueued = false;
      this.schedule();
    });
  }

  private async runBatch(batch: Entry[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      const preds = await this.run(this.pack(batch), batch.length);
      batch.forEach((e, i) => e.resolve(preds[i]!));
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
    }
    for (const e of batch) {
      try {
        this.options.onBatch?.(1);
        e.resolve((await this.run(e.input, 1))[0]!);
      } catch (err) {
        e.reject(err);
      }
    }
  }

  private pack(batch: Entry[]): Float32Array {
    if (batch.length === 1) return batch[0]!.input;
    this.packed ??= new Float32Array(this.maxBatchSize * this.inputLength);
    batch.forEach((e, i) => this.packed!.set(e.input, i * this.inputLength));
    return this.packed.subarray(0, batch.length * this.inputLength);
  }

  /** Resolves when nothing is waiting or running. */
  async idle(): Promise<void> {
    while (this.depth > 0) await new Promise((r) => setTimeout(r, 5));
  }
}
