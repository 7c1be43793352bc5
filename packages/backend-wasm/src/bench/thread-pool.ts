import { resizeWasmThreadPool } from '../pool-resize.js';

/** Short name used by the benches and tests. */
export const resizeThreadPool = resizeWasmThreadPool;

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
