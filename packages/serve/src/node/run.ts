import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { threadsPerProcess, type ServeConfig } from './config.js';
import type { RunningServer, StartOptions } from './server.js';

/** One server or a cluster of them: close() stops every process gracefully (also on SIGTERM/SIGINT). */
export type Serving = Pick<RunningServer, 'port' | 'host' | 'threads' | 'close' | 'closed'> & { workers: number };

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
    return { port: s.port, host: s.host, workers: 1, threads: s.threads, close: s.close, closed: s.closed };
  }
  if (!cluster.isPrimary) throw new Error('runServe with workers > 1 must run in the primary process');
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.js', import.meta.url)), execArgv: workerExecArgv(process.execArgv), args: [], silent: false });
  const env = { [WORKER_CONFIG_ENV]: JSON.stringify({ ...config, workers: 1, threads: threadsPerProcess(config) }) };
  const live = new Set<Worker>();
  let closing: Promise<void> | undefined;
  let allExited!: () => void;
  const closed = new Promise<void>((r) => (allExited = r));

  /** Forks one worker; resolves with its port and threads once its model is loaded and it listens. */
  const fork = (n: number) =>
    new Promise<{ port: number; threads?: number }>((resolve, reject) => {
      const w = cluster.fork(env);
      live.add(w);
      let ready = false;
      w.on('message', (m: { ready?: number; threads?: number; error?: string }) => {
        if (m.ready !== undefined) (ready = true), resolve({ port: m.ready, threads: m.threads });
        if (m.error) reject(new Error(`worker ${n}: ${m.error}`));
      });
      w.once('exit', (code, signal) => {
        live.delete(w);
        if (!ready) reject(new Error(`worker ${n} exited with code ${code} before it was ready`));
        else if (!closing) {
          // A worker that dies while serving is replaced, so capacity comes back.
          process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'worker-exit', code, signal, restarting: true })}\n`);
          fork(n).catch((err: Error) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'worker-restart-failed', error: err.message })}\n`));
        }
        if (closing && live.size === 0) allExited();
      });
    });

  let first: { port: number; threads?: number };
  try {
    // Port 0 in cluster workers is one shared random port; every worker asks for the same threads.
    [first] = (await Promise.all(Array.from({ length: config.workers }, (_, i) => fork(i + 1)))) as [typeof first];
  } catch (err) {
    closing = Promise.resolve();
    for (const w of live) w.kill('SIGKILL');
    throw err;
  }
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = () => void close();
  const close = () =>
    (closing ??= (async () => {
      for (const s of signals) process.off(s, onSignal);
      if (live.size === 0) allExited();
      for (const w of live) if (!w.isDead()) w.process.kill('SIGTERM');
      await closed;
    })());
  for (const s of signals) process.on(s, onSignal);
  return { port: first.port, host: config.host, workers: config.workers, threads: first.threads, close, closed };
}
