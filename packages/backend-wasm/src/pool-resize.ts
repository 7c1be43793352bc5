import * as tf from '@tensorflow/tfjs-core';

interface ThreadedModule {
  _init_with_threads_count?: (n: number) => void;
  _get_threads_count?: () => number;
  PThread?: { runningWorkers: Array<{ unref?: () => void }> };
}

/**
 * For benchmarks and tests: gives the running threaded wasm backend a new XNNPACK pool of `n`
 * threads (at most the count it started with), so 1 and N threads are compared in one process on
 * the same warm heap. The previous pool's threads stay parked (tfjs exposes no destroy): call it a
 * few times per process, not per step. Returns the thread count now in use.
 */
export function resizeWasmThreadPool(n: number): number {
  const module = (tf.backend() as unknown as { wasm: ThreadedModule }).wasm;
  if (!module._init_with_threads_count || !module._get_threads_count || !module.PThread) {
    throw new Error('the wasm backend is not running its threaded build');
  }
  module._init_with_threads_count(n);
  for (const w of module.PThread.runningWorkers) w.unref?.(); // as the Node starter does
  return module._get_threads_count();
}
