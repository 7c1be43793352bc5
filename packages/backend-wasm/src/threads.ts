import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/**
 * How many threads tfjs-backend-wasm's XNNPACK pool may use. tfjs fixes this when the wasm module
 * starts, so it is set before `useBackend()`: a number, or 'auto' (every core where the runtime can
 * start threads, one thread elsewhere).
 */
export type WasmThreads = number | 'auto';

/**
 * What a runtime must provide to start tfjs's pthread pool: Node's worker_threads reject the `blob:`
 * URL tfjs hands its Emscripten module, browsers need cross-origin isolation. `prepare` runs just
 * before the threaded module starts and returns a function that undoes whatever it changed.
 */
export interface ThreadStarter {
  readonly runtime: string;
  /** Cores this runtime can give the pool ('auto'). */
  cores(): number;
  /**
   * Cores other work keeps busy right now (Node: the 1-minute load average). 'auto' leaves them:
   * XNNPACK's pool meets at every operator, so a thread without a core of its own stalls the others
   * (measured: 2 threads at half the speed of 1 on a 2-core machine at load average 10-20).
   */
  busyCores?(): number;
  prepare(threads: number): () => void;
  /** Called with the started Emscripten module (Node: let its pool threads not hold the process open). */
  started?(module: unknown): void;
}

/** XNNPACK's pool in tfjs 4.22 never goes above 8 threads. */
export const MAX_WASM_THREADS = 8;

let wanted: WasmThreads = 'auto';
let starter: ThreadStarter | undefined;
let started = 1;
let autoNote = '';

/** Sets the thread count for the next start of the wasm backend (no effect once it runs). */
export function configureWasmThreads(threads: WasmThreads): void {
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) {
    throw new RangeError(`wasm threads must be a whole number >= 1 or 'auto', got ${String(threads)}`);
  }
  wanted = threads;
}

/** Installed by `@bears/backend-wasm/node` (worker_threads) or by `browserThreadStarter()`. */
export function setThreadStarter(s: ThreadStarter | undefined): void {
  starter = s;
}

/** Threads the backend actually runs on (1 until it starts threaded). */
export function wasmThreadCount(): number {
  return started;
}

/** A starter for pages served cross-origin isolated (COOP + COEP): SharedArrayBuffer and Workers work. */
export function browserThreadStarter(): ThreadStarter | undefined {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (g.crossOriginIsolated !== true || typeof SharedArrayBuffer === 'undefined') return undefined;
  return { runtime: 'browser', cores: () => g.navigator?.hardwareConcurrency ?? 1, prepare: () => () => {} };
}

/** The thread count the next start will ask for, given the configuration and the runtime's starter. */
export function plannedWasmThreads(): number {
  const s = starter ?? browserThreadStarter();
  const clamp = (n: number) => Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(n)));
  autoNote = '';
  if (!s) return 1;
  if (wanted !== 'auto') return clamp(wanted);
  const cores = s.cores();
  const busy = Math.max(0, s.busyCores?.() ?? 0);
  const n = clamp(cores - Math.round(busy));
  if (n < clamp(cores)) autoNote = `auto: ${cores} cores, ${busy.toFixed(1)} busy`;
  return n;
}

/** Why 'auto' chose fewer threads than cores at the last start ('' if it did not), for headers. */
export function wasmThreadNote(): string {
  return autoNote;
}

/**
 * Starts tfjs's wasm backend on `plannedWasmThreads()` threads: the threaded SIMD build where that
 * is more than one, else the single-threaded build. If the threaded module fails to start, the plain
 * build is tried before giving up, so a runtime without working threads still gets a backend.
 */
export async function startWasm(): Promise<void> {
  const threads = plannedWasmThreads();
  const s = starter ?? browserThreadStarter();
  if (threads > 1 && s) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
    let ok = false;
    let restore = () => {};
    try {
      restore = s.prepare(threads);
      ok = await tf.setBackend('wasm');
    } catch {
      ok = false;
    } finally {
      restore();
    }
    if (ok) {
      s.started?.((tf.backend() as unknown as { wasm: unknown }).wasm);
      started = getThreadsCount();
      return;
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) {
    throw new Error('tf.setBackend("wasm") failed: the .wasm binary could not be loaded (in a browser, call setWasmPaths() from @tensorflow/tfjs-backend-wasm with where the .wasm files are served)');
  }
  started = 1;
}
