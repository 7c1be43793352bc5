import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { ServeConfig } from './config.js';
import type { RunningServer, StartOptions } from './server.js';

/** One server or a cluster of them: close() stops every process gracefully (also on SIGTERM/SIGINT). */
export type Serving = Pick<RunningServer, 'port' | 'host' | 'close' | 'closed'> & { workers: number };

/** As for startServer; with workers > 1 the log function is not used (each worker logs to its stream). */
export type RunOptions = StartOptions;

export const WORKER_CONFIG_ENV = 'BEARS_SERVE_WORKER_CONFIG';

/** Node flags for the workers: the primary's, minus code to evaluate (a worker runs its own entry). */
function workerExecArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') i++;
    else if (!a.startsWith('--eval=') && !a.startsWith('--print=') && !a.startsWith('--input-type')) out.push(a);
  }
  return out;
}

/**
 * Serves the predictor: in this process for workers = 1, otherwise as a node:cluster primary whose
 * workers each load the model and share the port (the kernel spreads connections over them), so
 * every core runs forward passes.
 */
export async function runServe(config: ServeConfig, options: RunOptions = {}): Promise<Serving> {
  if (config.workers <= 1) {
    const { startServer } = await import('./server.js');
    const s = await startServer(config, options);
    return { port: s.port, host: s.host, workers: 1, close: s.close, closed: s.closed };
  }
  if (!cluster.isPrimary) throw new Error('runServe with workers > 1 must run in the primary process');
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.js', import.meta.url)), execArgv: workerExecArgv(process.execArgv), args: [], silent: false });
  const workers: Worker[] = [];
  const ready: Promise<number>[] = [];
  for (let i = 0; i < config.workers; i++) {
    const w = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify({ ...config, workers: 1 }) });
    workers.push(w);
    ready.push(
      new Promise<number>((resolve, reject) => {
        w.on('message', (m: { ready?: number; error?: string }) => {
          if (m.ready !== undefined) resolve(m.ready);
          if (m.error) reject(new Error(`worker ${i + 1}: ${m.error}`));
        });
        w.once('exit', (code) => reject(new Error(`worker ${i + 1} exited with code ${code} before it was ready`)));
      }),
    );
  }
  let port: number;
  try {
    // Port 0 in cluster workers is one shared random port.
    [port] = (await Promise.all(ready)) as [number];
  } catch (err) {
    for (const w of workers) w.kill('SIGKILL');
    throw err;
  }
  const exits = workers.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((r) => w.once('exit', () => r()))));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = () => void close();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const s of signals) process.off(s, onSignal);
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
      await Promise.all(exits);
    })());
  for (const s of signals) process.on(s, onSignal);
  return { port, host: config.host, workers: workers.length, close, closed: Promise.all(exits).then(() => undefined) };
}
