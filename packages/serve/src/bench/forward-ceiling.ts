// What this machine's cores give a second process at all: forward passes (batch 1, one wasm thread)
// in one process alone against two processes at once. Where two busy cores slow each other down
// (shared caches and memory bandwidth, a boost clock that drops when both run, a VM's cores sharing
// physical ones) no server scales past this, so the bench prints it next to workers_throughput_ratio.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Run from the package root: bare imports resolve there, the server entry is the built one.
const LOOP = `import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { configureWasmThreads } from '@bears/backend-wasm/node';
import { useBackend } from '@bears/backend';
import { decodeForModel } from '@bears/data';
import { loadModelFolder } from './dist/node.js';
const [modelDir, photo] = process.argv.slice(1);
configureWasmThreads(1);
const backend = await useBackend('wasm', { env: null });
const m = await loadModelFolder(modelDir);
const x = await decodeForModel(backend.codec, new Uint8Array(await readFile(photo)), { size: m.inputSize, resize: m.metadata.resize ?? 'crop', normalize: m.metadata.normalize });
for (let i = 0; i < 5; i++) await m.predictPrepared(x, 1);
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const t = performance.now();
  let n = 0;
  while (performance.now() - t < Number(line) * 1000) (await m.predictPrepared(x, 1), n++);
  console.log(n / ((performance.now() - t) / 1000));
}`;

class Loop {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;

  constructor(modelDir: string, photo: string) {
    this.child = spawn(process.execPath, ['--input-type=module', '-e', LOOP, modelDir, photo], { cwd: PACKAGE_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => (this.waiting ? (this.waiting(l), (this.waiting = undefined)) : this.lines.push(l)));
  }

  next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.child.once('exit', (code) => reject(new Error(`forward loop exited with ${code}`)));
    });
  }

  /** Forward passes per second over `seconds`. */
  async run(seconds: number): Promise<number> {
    this.child.stdin!.write(`${seconds}\n`);
    return Number(await this.next());
  }

  stop(): void {
    this.child.kill();
  }
}

/**
 * Two processes that load the model and wait: alone() runs forward passes in one of them (taking
 * turns), together() in both at once; each answers passes per second (summed for together).
 */
export async function forwardLoops(modelDir: string, photo: string) {
  const loops = [new Loop(modelDir, photo), new Loop(modelDir, photo)] as const;
  await Promise.all(loops.map((l) => l.next())); // both loaded and warm
  let turn = 0;
  return {
    alone: (seconds: number) => loops[turn++ % 2]!.run(seconds),
    together: async (seconds: number) => (await Promise.all(loops.map((l) => l.run(seconds)))).reduce((x, y) => x + y),
    stop: () => loops.forEach((l) => l.stop()),
  };
}
