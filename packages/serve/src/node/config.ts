import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseThreads, type WasmThreads } from '@bears/backend-wasm/node';
import { DEFAULT_MAX_BATCH_SIZE } from '../batcher.js';

/** Everything `bears serve` and apps/server accept, as flags or environment variables. */
export interface ServeConfig {
  modelDir: string;
  port: number;
  host: string;
  /** Processes that each load the model and share the port (node:cluster); 1 = this process. */
  workers: number;
  /**
   * tfjs-backend-wasm threads per process (default 'auto': every core for one process, cores /
   * workers for each of several). Other backends ignore it.
   */
  threads?: WasmThreads;
  backend?: string;
  maxBodyBytes?: number;
  maxPixels?: number;
  maxBatchImages?: number;
  maxBatchSize?: number;
  maxWaitMs?: number;
  maxQueue?: number;
  timeoutMs?: number;
  /** Fold batch norm into the convolutions at load (default true). */
  fold?: boolean;
  /** JSON request logs (default true for the server). */
  logs?: boolean;
  /** Where request logs go (default stdout; `bears serve` uses stderr, its stdout is for results). */
  logStream?: 'stdout' | 'stderr';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** flag -> [environment variable, ServeConfig key, integer minimum]. */
const NUMERIC: Record<string, [string, keyof ServeConfig, number]> = {
  port: ['PORT', 'port', 0],
  workers: ['BEARS_WORKERS', 'workers', 1],
  'max-body-bytes': ['BEARS_MAX_BODY_BYTES', 'maxBodyBytes', 1],
  'max-pixels': ['BEARS_MAX_PIXELS', 'maxPixels', 1],
  'max-batch-images': ['BEARS_MAX_BATCH_IMAGES', 'maxBatchImages', 1],
  'max-batch-size': ['BEARS_MAX_BATCH_SIZE', 'maxBatchSize', 1],
  'max-wait-ms': ['BEARS_MAX_WAIT_MS', 'maxWaitMs', 0],
  'max-queue': ['BEARS_MAX_QUEUE', 'maxQueue', 1],
  'timeout-ms': ['BEARS_TIMEOUT_MS', 'timeoutMs', 1],
};

export const serveOptionSpec = {
  model: { type: 'string' },
  host: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'no-fold': { type: 'boolean' },
  quiet: { type: 'boolean' },
  ...Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, { type: 'string' }])),
} as const;

export const serveHelp = [
  '--model <dir>            exported model folder (or the first argument, or BEARS_MODEL)',
  '--port <n>               port (PORT, default 8000; 0 = any free port)',
  '--host <addr>            address to bind (HOST, default 127.0.0.1; 0.0.0.0 for every interface)',
  '--workers <n|auto>       processes sharing the port, one model each; auto = one per core (BEARS_WORKERS, default 1);',
  '                         each runs cores / n wasm threads unless --threads says',
  '--threads <n|auto>       wasm threads per process (BEARS_THREADS, default auto: every core, or cores / workers)',
  '--max-body-bytes <n>     largest request body (BEARS_MAX_BODY_BYTES, default 10485760)',
  '--max-pixels <n>         largest image, read from its header (BEARS_MAX_PIXELS, default 40000000)',
  `--max-batch-size <n>     most images per forward pass (BEARS_MAX_BATCH_SIZE, default ${DEFAULT_MAX_BATCH_SIZE})`,
  '--max-wait-ms <n>        wait for batch mates when idle (BEARS_MAX_WAIT_MS, default 2)',
  '--max-queue <n>          queued predictions before 503 (BEARS_MAX_QUEUE, default 64)',
  '--max-batch-images <n>   images per /predict/batch request (BEARS_MAX_BATCH_IMAGES, default 32)',
  '--timeout-ms <n>         per-request limit (BEARS_TIMEOUT_MS, default 30000)',
  '--no-fold                keep batch norm as exported instead of folding it into the convolutions',
  '--quiet                  no JSON request logs on stdout',
];

/** Flags win over the environment, which wins over defaults. */
export function configFrom(values: Record<string, unknown>, positionals: string[], env: Record<string, string | undefined>): ServeConfig {
  const modelDir = (values.model as string | undefined) ?? positionals[0] ?? env.BEARS_MODEL;
  if (!modelDir) throw new ConfigError('missing the model folder: pass --model <dir> (or BEARS_MODEL)');
  const config: ServeConfig = {
    modelDir,
    port: 8000,
    host: (values.host as string | undefined) ?? env.HOST ?? '127.0.0.1',
    workers: 1,
    backend: (values.backend as string | undefined) || env.BEARS_BACKEND || undefined,
    fold: !(values['no-fold'] ?? env.BEARS_NO_FOLD === '1'),
    logs: !(values.quiet ?? env.BEARS_QUIET === '1'),
  };
  const threads = values.threads as string | undefined;
  try {
    config.threads = threads !== undefined ? parseThreads(threads, '--threads') : parseThreads(env.BEARS_THREADS, 'BEARS_THREADS');
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  for (const [flag, [envName, key, min]] of Object.entries(NUMERIC)) {
    let raw = (values[flag] as string | undefined) ?? env[envName];
    if (raw === undefined || raw === '') continue;
    if (key === 'workers' && raw === 'auto') raw = String(availableParallelism());
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${flag} (${envName}) must be an integer >= ${min}, got '${raw}'`);
    (config as unknown as Record<string, number>)[key] = n;
  }
  if (config.port > 65535) throw new ConfigError(`--port must be at most 65535, got ${config.port}`);
  return config;
}

/**
 * The wasm thread count each serving process asks for: as configured, and for 'auto' an even share
 * of the cores (all of them for one process). Not the backend's own 'auto', which leaves the cores
 * the load average says are busy: a server runs for days, and the load at the moment it starts (a
 * rolling restart beside the old process, a build) would size its pool for good.
 */
export function threadsPerProcess(config: Pick<ServeConfig, 'threads' | 'workers'>, cores = availableParallelism()): WasmThreads {
  const threads = config.threads ?? 'auto';
  if (threads !== 'auto') return threads;
  return Math.max(1, Math.floor(cores / Math.max(1, config.workers)));
}

/** Parses argv (flags after the command) plus the environment. */
export function parseServeArgs(argv: string[], env: Record<string, string | undefined> = process.env): ServeConfig {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: serveOptionSpec, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return configFrom(parsed.values, parsed.positionals, env);
}
