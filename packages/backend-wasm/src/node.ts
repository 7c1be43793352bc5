// @bears/backend-wasm/node: the Node-only half. Importing it registers the wasm backend (as the root
// entry does) and lets it start tfjs's threaded build on worker_threads, on every core by default.
import { nodeThreadStarter } from './node-threads.js';
import { configureWasmThreads, setThreadStarter, type WasmThreads } from './threads.js';
import './index.js';

setThreadStarter(nodeThreadStarter());

/**
 * Parses a thread count as given on a command line or in BEARS_THREADS: a whole number >= 1 or
 * 'auto'; undefined or empty means 'auto'. Throws a RangeError that names the bad value.
 */
export function parseThreads(value: string | undefined, source = 'BEARS_THREADS'): WasmThreads {
  const v = value?.trim().toLowerCase();
  if (!v || v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${source} must be a whole number >= 1 or 'auto', got '${value}'`);
  return n;
}

try {
  configureWasmThreads(parseThreads(process.env.BEARS_THREADS));
} catch {
  // Importing never throws: a bad BEARS_THREADS leaves 'auto'; callers that take the setting from a
  // user (the CLI) call parseThreads themselves and report it.
}

export * from './index.js';
export { nodeThreadStarter } from './node-threads.js';
export { resizeWasmThreadPool } from './pool-resize.js';
