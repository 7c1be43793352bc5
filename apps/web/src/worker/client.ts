import type { Request, Responses, TrainProgress, WorkerMessage } from './protocol.js';

/** The page's side of the model worker: one request at a time per call, answered by id. */
export class ModelWorker {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (p: TrainProgress) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./model.worker.ts', import.meta.url), { type: 'module', name: 'bears-model' });
    this.worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const msg = e.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      if ('progress' in msg) return p.onProgress?.(msg.progress);
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    };
    this.worker.onerror = (e) => this.failAll(new Error(`the model worker failed: ${e.message || 'could not start (see the console)'}`));
  }

  call<T extends Request['type']>(request: Extract<Request, { type: T }>, onProgress?: (p: TrainProgress) => void, transfer: Transferable[] = []): Promise<Responses[T]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      this.worker.postMessage({ id, ...request }, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new Error('the model worker was replaced'));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
