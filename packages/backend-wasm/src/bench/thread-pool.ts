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
export function resizeThreadPool(n: number): number {
  const module = (tf.backend() as unknown as { wasm: ThreadedModule }).wasm;
  if (!module._init_with_threads_count || !module._get_threads_count || !module.PThread) {
    throw new Error('the wasm backend is not running its threaded build');
  }
  module._init_with_threads_count(n);
  for (const w of module.PThread.runningWorkers) w.unref?.(); // as the Node starter does
  return module._get_threads_count();
}

/** CPU ticks each OS thread of this process used so far (Linux /proc), keyed by thread id; undefined elsewhere. */
export async function threadTicks(): Promise<Map<string, number> | undefined> {
  const fs = await import('node:fs');
  if (!fs.existsSync('/proc/self/task')) return undefined;
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const fields = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(tid, Number(fields[11]) + Number(fields[12])); // utime + stime
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** Per-thread CPU ticks spent while `work` ran, busiest first, zeros dropped. */
export async function ticksPerThread(work: () => void): Promise<number[] | undefined> {
  const before = await threadTicks();
  work();
  const after = await threadTicks();
  if (!before || !after) return undefined;
  return [...after].map(([t, v]) => v - (before.get(t) ?? 0)).filter((d) => d > 0).sort((a, b) => b - a);
}
