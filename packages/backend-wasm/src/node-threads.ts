import { createRequire } from 'node:module';
import type { ThreadStarter } from './threads.js';

const require = createRequire(import.meta.url);
// Through require: Emscripten reads os.cpus() from the same CommonJS object.
const os = require('node:os') as { cpus: () => unknown[]; availableParallelism?: () => number; loadavg: () => number[] };

/**
 * Node flags for a pthread worker: the host's, minus --input-type, which would make the evaluated
 * worker script (CommonJS: it calls require) an ES module in a host run as `node --input-type=module -e`.
 */
export function commonJsExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    if (execArgv[i] === '--input-type') i++;
    else if (!execArgv[i]!.startsWith('--input-type=')) out.push(execArgv[i]!);
  }
  return out;
}

/**
 * Starts tfjs-backend-wasm's pthread pool on Node's worker_threads. tfjs 4.22 hands Emscripten two
 * things Node cannot load: the pthread worker script as a `blob:` URL, and the main script as a Blob
 * the worker turns into another `blob:` URL. While the threaded module starts, `prepare` swaps
 * worker_threads' Worker (which Emscripten picks up as its global Worker) for one that runs the same
 * worker script from a string, with `URL.createObjectURL` inside the worker pointing at the module's
 * file. It also shows Emscripten twice the cores: tfjs caps its pool at half the logical cores
 * (it assumes two hyper-threads per core), which on a 2-core machine is one thread.
 */
export function nodeThreadStarter(): ThreadStarter {
  return {
    runtime: 'node',
    cores: () => os.availableParallelism?.() ?? os.cpus().length,
    busyCores: () => os.loadavg()[0] ?? 0,
    prepare(threads) {
      const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');
      const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
      const mainScript = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
      // tfjs escapes newlines the same way before making its Blob: the script has '\n' inside strings.
      const source = `URL.createObjectURL=()=>${JSON.stringify(mainScript)};URL.revokeObjectURL=()=>{};` +
        wasmWorkerContents.replace(/\n/g, '\\n');
      const Original = workerThreads.Worker;
      class BlobFreeWorker extends Original {
        constructor(url: string | URL, options?: import('node:worker_threads').WorkerOptions) {
          if (String(url).startsWith('blob:')) super(source, { ...options, eval: true, execArgv: commonJsExecArgv(options?.execArgv ?? process.execArgv) });
          else super(url, options);
        }
      }
      const cpus = os.cpus;
      workerThreads.Worker = BlobFreeWorker;
      os.cpus = () => {
        const list = cpus();
        return Array.from({ length: 2 * threads }, (_, i) => list[i % list.length]!);
      };
      return () => {
        workerThreads.Worker = Original;
        os.cpus = cpus;
      };
    },
    started(module) {
      // Emscripten refs a worker while it runs a pthread; XNNPACK's pool threads run (parked) for
      // the life of the module, so without this a script would never exit on its own.
      const pthread = (module as { PThread?: { runningWorkers?: Array<{ unref?: () => void }> } }).PThread;
      for (const w of pthread?.runningWorkers ?? []) w.unref?.();
    },
  };
}
