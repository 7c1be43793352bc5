import * as tf from '@tensorflow/tfjs-core';
import { configureWasmThreads } from '@bears/backend-wasm/node';
import { useBackend } from '@bears/backend';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createPredictor, type PredictorApp, type RequestLog } from '../app.js';
import type { ServedModel } from '../served-model.js';
import { threadsPerProcess, type ServeConfig } from './config.js';
import { loadModelFolder } from './load.js';

export interface RunningServer {
  port: number;
  host: string;
  app: PredictorApp;
  model: ServedModel;
  /** Compute threads the backend runs on (the wasm pool), where it says. */
  threads?: number;
  /** Graceful stop: refuse new requests, finish in-flight ones, close sockets, free the model. */
  close(): Promise<void>;
  /** Resolves once close() has finished (from a call or a signal). */
  closed: Promise<void>;
}

export interface StartOptions {
  /** Where JSON request logs go (default: stdout when config.logs). */
  log?: (entry: RequestLog) => void;
  /** Signals that trigger close() (default SIGTERM and SIGINT; [] to handle them yourself). */
  signals?: NodeJS.Signals[];
}

/** Loads the model once and serves the predictor on @hono/node-server in this process. */
export async function startServer(config: ServeConfig, options: StartOptions = {}): Promise<RunningServer> {
  // GPU backends register themselves when their optional package is installed (as in the CLI).
  if (config.backend && config.backend !== 'wasm' && config.backend !== 'cpu') await import('@bears/backend-node-gpu' as string).catch(() => undefined);
  // Fixed when wasm starts: a process that already runs it keeps its pool.
  configureWasmThreads(threadsPerProcess(config));
  const backend = await useBackend(config.backend ?? 'wasm', { env: null });
  const model = await loadModelFolder(config.modelDir, { backend, foldBatchNorm: config.fold ?? true });
  const log = options.log ?? (config.logs ? (e: RequestLog) => process[config.logStream ?? 'stdout'].write(`${JSON.stringify(e)}\n`) : undefined);
  const app = createPredictor(model, {
    backend,
    maxBodyBytes: config.maxBodyBytes,
    maxPixels: config.maxPixels,
    maxBatchImages: config.maxBatchImages,
    maxBatchSize: config.maxBatchSize,
    maxWaitMs: config.maxWaitMs,
    maxQueue: config.maxQueue,
    timeoutMs: config.timeoutMs,
    log,
    numTensors: () => tf.memory().numTensors,
    memory: () => ({ rssBytes: process.memoryUsage().rss, tensorBytes: tf.memory().numBytes }),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s as Server));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  // A client that trickles its upload is cut well before Node's 5-minute default.
  server.requestTimeout = (config.timeoutMs ?? 30_000) + 30_000;

  let closing: Promise<void> | undefined;
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = () => void close();
  const close = () =>
    (closing ??= (async () => {
      for (const s of signals) process.off(s, onSignal);
      // Stop accepting connections, answer 503 on kept-alive ones, let in-flight requests finish.
      const stopped = new Promise<void>((r) => server.close(() => r()));
      await app.drain();
      server.closeIdleConnections();
      await app.batcher.idle();
      server.closeAllConnections();
      await stopped;
      model.dispose();
      done();
    })());
  for (const s of signals) process.on(s, onSignal);
  return { port, host: config.host, app, model, threads: backend.capabilities.threads, close, closed };
}
