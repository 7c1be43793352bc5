// CPU accounting for the bench from Linux's /proc: the server processes' own CPU time, and what
// other processes on a shared machine took during the load phases. Elsewhere both report unknown.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on every Linux the bench runs on

function stat(pid: number | string, file = `/proc/${pid}/stat`): { ppid: number; cpuMs: number } | undefined {
  try {
    const s = readFileSync(file, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

/** CPU ms (user + system, every thread) of a process and its live descendants; NaN without /proc. */
export function cpuMsOfTree(root: number): number {
  return cpuOfTree(root).all;
}

/**
 * CPU ms of a process and its live descendants: every thread (`all`) and their main threads only
 * (`main`: JavaScript, the HTTP stack and, on one wasm thread, the forward pass; the rest is sharp's
 * libvips and libuv threads, V8's GC helpers and wasm's extra threads). NaN without /proc.
 */
export function cpuOfTree(root: number): { all: number; main: number } {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return { all: Number.NaN, main: Number.NaN };
  }
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const p of pids) {
    const s = stat(p);
    if (!s) continue;
    cpu.set(Number(p), s.cpuMs);
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(p)]);
  }
  if (!cpu.has(root)) return { all: Number.NaN, main: Number.NaN };
  let all = 0;
  let main = 0;
  for (const stack = [root]; stack.length; ) {
    const p = stack.pop()!;
    all += cpu.get(p) ?? 0;
    main += stat(p, `/proc/${p}/task/${p}/stat`)?.cpuMs ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return { all, main };
}

/** Busy CPU ms of the whole machine (all cores) since boot, from /proc/stat. */
function machineBusyMs(): number | undefined {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (v.slice(0, 8).reduce((a, b) => a + b, 0) - v[3]! - v[4]!) * TICK_MS; // minus idle and iowait
  } catch {
    return undefined;
  }
}

/**
 * Measures, between start() and stop(), the share of all cores busy with processes other than this
 * one and its descendants (the servers it spawned).
 */
export function otherCpuMeter(cores = cpus().length) {
  let busy0: number | undefined;
  let ours0 = 0;
  let t0 = 0;
  const meter = {
    percent: undefined as number | undefined,
    start() {
      busy0 = machineBusyMs();
      ours0 = cpuMsOfTree(process.pid);
      t0 = performance.now();
    },
    stop() {
      const busy1 = machineBusyMs();
      const ours = cpuMsOfTree(process.pid) - ours0;
      if (busy0 === undefined || busy1 === undefined || Number.isNaN(ours)) return;
      meter.percent = Math.max(0, (100 * (busy1 - busy0 - ours)) / ((performance.now() - t0) * cores));
    },
  };
  return meter;
}
