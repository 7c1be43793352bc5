import type { Prediction } from '@bears/learner';

export interface BatcherOptions {
  /** Most images in one forward pass (default 8; 1 turns batching off). */
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

  constructor(
    private readonly run: Run,
    private readonly inputLength: number,
    private readonly options: BatcherOptions = {},
  ) {
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? 8);
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 2);
    this.maxQueue = Math.max(1, options.maxQueue ?? 64);
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
      this.running = 0;
      // Whatever queued during that pass goes next, without waiting: it already waited.
      if (this.pending.length > 0) this.flushSoon();
    }
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
    const out = new Float32Array(batch.length * this.inputLength);
    batch.forEach((e, i) => out.set(e.input, i * this.inputLength));
    return out;
  }

  /** Resolves when nothing is waiting or running. */
  async idle(): Promise<void> {
    while (this.depth > 0) await new Promise((r) => setTimeout(r, 5));
  }
}
