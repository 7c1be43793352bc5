// One worker_thread of a pool (data-parallel training, parallel inference): one request at a time,
// its reply or the worker's failure, and the worker holds the process open only while it works.
import { freemem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LearnerError } from '../errors.js';

/** One worker: request() posts a message and resolves with its reply (rejects on its error or exit). */
export class Replica<Reply extends { type: string } = { type: string }> {
  private pending?: { resolve: (r: Reply) => void; reject: (e: Error) => void };
  exited = false;

  constructor(
    readonly worker: Worker,
    private readonly label: string,
  ) {
    worker.on('message', (r: Reply | { type: 'error'; message: string }) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (r.type === 'error') p.reject(new LearnerError(`a ${label} failed: ${(r as { message: string }).message}`));
      else p.resolve(r as Reply);
    });
    worker.on('error', (err) => this.fail(new LearnerError(`a ${label} failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new LearnerError(`a ${label} exited (code ${code})`));
    });
  }

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  /** Sends one message and waits for its reply; the worker holds the process open only meanwhile. */
  request(message: unknown, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.exited) return Promise.reject(new LearnerError(`the ${this.label} has exited`));
    if (this.pending) return Promise.reject(new LearnerError(`a ${this.label} got a request while busy`));
    return new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(message, transfer);
    }).finally(() => {
      if (!this.exited) this.worker.unref();
    });
  }
}

/** Copies for `wanted`, capped by free memory at `bytesPerCopy` each; under 2 means none. */
export function plannedWorkers(wanted: number, bytesPerCopy: number): number {
  return Math.max(1, Math.min(Math.floor(wanted), Math.floor(freemem() / bytesPerCopy)));
}

/** Starts `n` workers of `script` and sends each `init`; on any failure every one is stopped and the error thrown. */
export async function startReplicas<Reply extends { type: string }>(script: URL, n: number, label: string, init: unknown): Promise<Replica<Reply>[]> {
  const replicas: Replica<Reply>[] = [];
  try {
    for (let i = 0; i < n; i++) replicas.push(new Replica<Reply>(new Worker(script, { workerData: { index: i } }), label));
    await Promise.all(replicas.map((r) => r.request(init)));
  } catch (err) {
    await Promise.all(replicas.map((r) => r.worker.terminate()));
    throw err;
  }
  return replicas;
}

/** The pools' worker scripts, beside this file in dist. */
export type WorkerName = 'train-worker' | 'infer-worker';
const scripts: Record<WorkerName, URL> = {
  'train-worker': new URL('./train-worker.js', import.meta.url),
  'infer-worker': new URL('./infer-worker.js', import.meta.url),
};

/** @internal tests run the sources, so they point a pool at a compiled copy of its worker's .ts. */
export function setWorkerScript(name: WorkerName, url: URL): void {
  scripts[name] = url;
}

/** The script a pool starts its workers from. */
export function workerScript(name: WorkerName): URL {
  return scripts[name];
}

/** Workers that stop together: a failed round of requests stops every one of them. */
export class ReplicaPool<Reply extends { type: string }> {
  protected closed = false;

  constructor(
    protected readonly replicas: Replica<Reply>[],
    private readonly label: string,
  ) {}

  get workers(): number {
    return this.replicas.length;
  }

  /** One round of requests; on any failure every worker is stopped and the error thrown. */
  protected async round<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LearnerError(`the ${this.label} pool is closed`);
    try {
      return await work();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Stops every worker (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }
}
