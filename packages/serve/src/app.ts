import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ImageCodec } from '@bears/backend';
import { MicroBatcher, QueueFullError, type BatcherOptions } from './batcher.js';
import type { PreprocessOptions } from '@bears/data';
import type { ExportedModel, Prediction } from '@bears/learner';
import { ServedModel } from './served-model.js';
import { errorResponse, HttpError } from './errors.js';
import { prepareUpload, readUploads, type Upload } from './images.js';
import { Metrics } from './metrics.js';
import { indexPage } from './page.js';

export interface PredictorOptions extends BatcherOptions {
  /** The active backend: its name for /info and its codec for decoding uploads. */
  backend: { name: string; codec: ImageCodec; capabilities?: { accelerator?: string; threads?: number; details?: string } };
  /** Largest request body in bytes, enforced while streaming (default 10 MB). */
  maxBodyBytes?: number;
  /** Largest image in pixels, read from the header before decoding (default 40 million). */
  maxPixels?: number;
  /** Most images in one /predict/batch request (default 32). */
  maxBatchImages?: number;
  /** Per-request time limit in ms (default 30 s): the request is answered 504 and leaves the queue. */
  timeoutMs?: number;
  /** Retry-After seconds on 503 (default 1). */
  retryAfterSeconds?: number;
  /** Serve GET /metrics in Prometheus text (default true). */
  metrics?: boolean;
  /** Receives one structured entry per request (JSON request logs). */
  log?: (entry: RequestLog) => void;
  /** Live tensor count for /metrics and /health (tf.memory().numTensors). */
  numTensors?: () => number;
  /** Memory figures for /health (bytes), e.g. tensor bytes and the wasm heap in a Worker. */
  memory?: () => Record<string, number>;
}

export interface RequestLog {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  label?: string;
  error?: string;
}

export interface PredictorApp extends Hono {
  /** Refuse new requests (503) and resolve once in-flight ones have answered. */
  drain(): Promise<void>;
  readonly inFlight: number;
  readonly draining: boolean;
  readonly batcher: MicroBatcher;
  readonly metrics: Metrics;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_PIXELS = 40_000_000;

/**
 * Reads and drops a refused upload's body, up to `cap` bytes or 1 s: answering while the client is
 * still sending makes some runtimes (workerd) reset the connection, and the client never sees the 413.
 */
async function drainBriefly(req: Request, cap: number): Promise<void> {
  if (!req.body || req.bodyUsed || req.body.locked) return;
  const reader = req.body.getReader();
  const deadline = Date.now() + 1000;
  let total = 0;
  try {
    while (total <= cap && Date.now() < deadline) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.length;
    }
  } catch {
    // The client went away: nothing left to drain.
  } finally {
    reader.cancel().catch(() => {});
  }
}

type Vars = { Variables: { label?: string; error?: string } };

/** The predictor as a Hono app on Web standards only: the same app serves on Node and Workers. */
export function createPredictor(model: ExportedModel, options: PredictorOptions): PredictorApp {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxBatchImages = options.maxBatchImages ?? 32;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const pre: PreprocessOptions = { size: model.inputSize, resize: model.metadata.resize ?? 'crop', normalize: model.metadata.normalize };
  const codec = options.backend.codec;
  let inFlight = 0;
  let preparing = 0;
  let draining = false;
  let metrics: Metrics;
  const batcher = new MicroBatcher((b, n) => model.predictPrepared(b, n), model.inputSize * model.inputSize * 3, {
    ...options,
    onBatch: (n) => (metrics.batch(n), options.onBatch?.(n)),
    arriving: () => preparing,
  });
  metrics = new Metrics({ queueDepth: () => batcher.depth, inFlight: () => inFlight, numTensors: options.numTensors });

  const app = new Hono<Vars>();

  app.use('*', async (c, next) => {
    const start = performance.now();
    if (draining) {
      c.res = errorResponse(503, 'the server is shutting down', { 'retry-after': retryAfter, connection: 'close' });
    } else {
      inFlight++;
      try {
        await next();
      } finally {
        inFlight--;
      }
    }
    const ms = performance.now() - start;
    const route = c.req.routePath && c.req.routePath !== '*' ? c.req.routePath : 'other';
    metrics.request(route, c.res.status, ms / 1000);
    options.log?.({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
      ...(c.get('label') ? { label: c.get('label') } : {}),
      ...(c.get('error') ? { error: c.get('error') } : {}),
    });
  });

  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: async (c) => {
      await drainBriefly(c.req.raw, Math.max(2 * maxBodyBytes, 1 << 20));
      throw new HttpError(413, `the request body is over the limit of ${maxBodyBytes} bytes`);
    },
  });

  const answer = (p: Prediction) => ({ label: p.label, index: p.index, probabilities: Object.fromEntries(model.classes.map((k, i) => [k, p.probabilities[i]!])) });

  /** Runs work under the per-request deadline; the signal takes queued work out of the queue. */
  async function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new HttpError(504, `the prediction took longer than the limit of ${timeoutMs} ms`);
        ctl.abort(err);
        reject(err);
      }, timeoutMs);
    });
    try {
      return await Promise.race([work(ctl.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  function refuseIfFull(extra = 1): void {
    if (batcher.depth + extra > batcher.maxQueue) throw new HttpError(503, `the server is busy: ${batcher.depth} predictions queued (limit ${batcher.maxQueue})`, { 'retry-after': retryAfter });
  }

  /**
   * Counts a request as on its way to the batcher from when its body is read until it is decoded
   * (or fails): an idle batcher waits up to maxWaitMs for these, not for requests that are not coming.
   */
  async function arriving<T>(work: () => Promise<T>): Promise<T> {
    preparing++;
    try {
      return await work();
    } finally {
      preparing--;
    }
  }

  /** Decodes into a pooled input buffer (it returns to the pool after its forward pass). */
  const decode = (upload: Upload) => prepareUpload(upload, codec, pre, maxPixels, batcher.inputBuffer());

  async function submit(input: Float32Array, signal: AbortSignal): Promise<Prediction> {
    try {
      return await batcher.submit(input, signal);
    } catch (err) {
      if (err instanceof QueueFullError) throw new HttpError(503, err.message, { 'retry-after': retryAfter });
      throw err;
    }
  }

  app.get('/', (c) => c.html(indexPage(model.classes)));

  app.get('/health', (c) => c.json({ status: 'ok', queueDepth: batcher.depth, inFlight, ...(options.numTensors ? { numTensors: options.numTensors() } : {}), ...(options.memory ? { memory: options.memory() } : {}) }));

  app.get('/info', (c) =>
    c.json({
      classes: model.classes,
      inputSize: model.inputSize,
      resize: pre.resize,
      normalize: pre.normalize,
      model: {
        arch: model.metadata.arch,
        version: `${model.metadata.arch}@${model.metadata.createdAt}`,
        createdAt: model.metadata.createdAt,
        formatVersion: model.metadata.formatVersion,
        libraryVersion: model.metadata.libraryVersion,
        ...(model instanceof ServedModel ? { checksum: `sha256:${model.checksum}`, batchNormFolded: model.folded } : {}),
        validation: model.metadata.validation,
      },
      // threads: compute threads per process (the wasm backend's pool), where the backend says.
      backend: { name: options.backend.name, codec: codec.name, ...options.backend.capabilities },
      limits: { maxBodyBytes, maxPixels, maxBatchImages, timeoutMs },
      batching: { maxBatchSize: batcher.maxBatchSize, maxWaitMs: batcher.maxWaitMs, maxQueue: batcher.maxQueue },
    }),
  );

  if (options.metrics ?? true) {
    app.get('/metrics', (c) => c.body(metrics.text(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));
  }

  app.post('/predict', limit, async (c) => {
    const start = performance.now();
    refuseIfFull();
    const result = await withDeadline(async (signal) => {
      const input = await arriving(async () => decode((await readUploads(c.req.raw, false))[0]!));
      return submit(input, signal);
    });
    c.set('label', result.label);
    return c.json({ ...answer(result), ms: performance.now() - start });
  });

  app.post('/predict/batch', limit, async (c) => {
    const start = performance.now();
    const uploads = await readUploads(c.req.raw, true);
    if (uploads.length > maxBatchImages) throw new HttpError(413, `${uploads.length} images is over the limit of ${maxBatchImages} per batch request`);
    refuseIfFull(uploads.length);
    const results = await withDeadline((signal) =>
      Promise.all(
        uploads.map(async (u) => {
          try {
            return { file: u.name, ...answer(await submit(await arriving(() => decode(u)), signal)) };
          } catch (err) {
            const e = err instanceof HttpError ? err : new HttpError(500, (err as Error).message);
            return { file: u.name, error: { status: e.status, message: e.message } };
          }
        }),
      ),
    );
    return c.json({ results, ms: performance.now() - start });
  });

  app.notFound((c) => c.json({ error: { status: 404, message: `no route ${c.req.method} ${c.req.path}: try GET /, /health, /info, POST /predict, /predict/batch` } }, 404));

  app.onError((err, c: Context<Vars>) => {
    const e = err instanceof HttpError ? err : new HttpError(500, `internal error: ${err.message}`);
    c.set('error', e.message);
    return errorResponse(e.status, e.message, e.headers);
  });

  return Object.defineProperties(app as unknown as PredictorApp, {
    drain: {
      value: async () => {
        draining = true;
        while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
      },
    },
    inFlight: { get: () => inFlight },
    draining: { get: () => draining },
    batcher: { value: batcher },
    metrics: { value: metrics },
  });
}
