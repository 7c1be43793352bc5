import * as tf from '@tensorflow/tfjs-core';
import '@bears/backend-wasm';
import { useBackend, type ActiveBackend } from '@bears/backend';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPredictor, type PredictorApp, type PredictorOptions } from './app.js';
import type { ExportedModel } from '@bears/learner';
import { loadModelFolder } from './node/load.js';
import { bearBytes, TEST_SIZE } from './test-support/fixtures.js';
import { chunkedBody, form, pngHeader } from './test-support/images.js';

let backend: ActiveBackend;
let model: ExportedModel;
let app: PredictorApp;
let grizzly: Uint8Array;
let black: Uint8Array;
let teddy: Uint8Array;

function predictor(options: Partial<PredictorOptions> = {}, m: ExportedModel = model): PredictorApp {
  return createPredictor(m, { backend, numTensors: () => tf.memory().numTensors, ...options });
}

const post = (a: PredictorApp, path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  a.request(path, { method: 'POST', body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);

beforeAll(async () => {
  backend = await useBackend('wasm', { env: null });
  model = await loadModelFolder(inject('modelDir'));
  app = predictor();
  [grizzly, black, teddy] = await Promise.all([bearBytes('grizzly'), bearBytes('black'), bearBytes('teddy')]);
});

afterAll(() => model?.dispose());

describe('routes', () => {
  it('GET / is a page to pick or drop a photo', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<input id="file" type="file"');
    expect(html).toContain('black, grizzly, teddy');
  });

  it('GET /health and GET /info', async () => {
    expect(await (await app.request('/health')).json()).toMatchObject({ status: 'ok', queueDepth: 0 });
    const info = (await (await app.request('/info')).json()) as Record<string, any>;
    expect(info.classes).toEqual(['black', 'grizzly', 'teddy']);
    expect(info.inputSize).toBe(TEST_SIZE);
    expect(info.model.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(info.model.version).toContain('mobilenet');
    expect(info.model.batchNormFolded).toBe(true);
    expect(info.backend).toMatchObject({ name: 'wasm', codec: 'sharp', threads: 1 }); // plain @bears/backend-wasm: one thread
  });

  it('POST /predict with a multipart file answers label, index, probabilities per class and ms', async () => {
    const res = await post(app, '/predict', form({ file: [{ bytes: grizzly }] }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { label: string; index: number; probabilities: Record<string, number>; ms: number };
    expect(Object.keys(body.probabilities)).toEqual(['black', 'grizzly', 'teddy']);
    expect(Object.values(body.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(body.label).toBe(['black', 'grizzly', 'teddy'][body.index]);
    expect(body.ms).toBeGreaterThan(0);
  });

  it('POST /predict with the raw body gives the same answer as multipart', async () => {
    const a = (await (await post(app, '/predict', form({ file: [{ bytes: teddy }] }))).json()) as { probabilities: Record<string, number> };
    const b = (await (await post(app, '/predict', teddy as BodyInit, { 'content-type': 'image/jpeg' })).json()) as { probabilities: Record<string, number> };
    expect(b.probabilities.teddy).toBeCloseTo(a.probabilities.teddy!, 5);
  });

  it('the trained model labels held-out bear photos mostly right', async () => {
    let right = 0;
    for (const [cls, bytes] of [['grizzly', grizzly], ['black', black], ['teddy', teddy]] as const) {
      const body = (await (await post(app, '/predict', bytes as BodyInit)).json()) as { label: string };
      if (body.label === cls) right++;
    }
    expect(right).toBeGreaterThanOrEqual(2);
  });

  it('POST /predict/batch answers one result or one error per image, in order', async () => {
    const res = await post(app, '/predict/batch', form({ files: [{ bytes: grizzly, name: 'g.jpg' }, { bytes: grizzly.subarray(0, 400), name: 'cut.jpg' }, { bytes: new TextEncoder().encode('hello'), name: 'x.txt', type: 'text/plain' }, { bytes: teddy, name: 't.jpg' }] }));
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: any[] };
    expect(results.map((r) => r.file)).toEqual(['g.jpg', 'cut.jpg', 'x.txt', 't.jpg']);
    expect(results[0].label).toBeDefined();
    expect(results[1].error).toMatchObject({ status: 422 });
    expect(results[2].error).toMatchObject({ status: 415 });
    expect(results[3].label).toBeDefined();
  });

  it('unknown routes answer JSON 404', async () => {
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.message).toMatch(/no route GET \/nope/);
  });

  it('GET /metrics is Prometheus text with requests by status, latency, batch sizes and queue depth', async () => {
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/bears_requests_total\{route="\/predict",status="200"\} \d+/);
    expect(text).toMatch(/bears_request_duration_seconds_bucket\{route="\/predict",le="0.5"\} \d+/);
    expect(text).toMatch(/bears_batch_size_count \d+/);
    expect(text).toMatch(/bears_queue_depth 0/);
  });
});

describe('errors are JSON with a message', () => {
  async function expectError(res: Response, status: number, pattern: RegExp) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { error: { status: number; message: string } };
    expect(body.error.status).toBe(status);
    expect(body.error.message).toMatch(pattern);
  }

  it('400 without an image', async () => {
    await expectError(await post(app, '/predict', new Uint8Array(0) as BodyInit), 400, /no image/);
    await expectError(await app.request('/predict', { method: 'POST' }), 400, /no image/);
    const fd = new FormData();
    fd.append('other', 'text');
    await expectError(await post(app, '/predict', fd), 400, /no image/);
  });

  it('413 over the body limit, by Content-Length and while streaming a chunked body', async () => {
    const small = predictor({ maxBodyBytes: 1000 });
    await expectError(await post(small, '/predict', grizzly as BodyInit, { 'content-type': 'image/jpeg' }), 413, /over the limit of 1000 bytes/);
    await expectError(await post(small, '/predict', chunkedBody(50, 100)), 413, /over the limit/);
    await expectError(await post(small, '/predict/batch', form({ f: [{ bytes: grizzly }] })), 413, /over the limit/);
  });

  it('413 for too many images in one batch request', async () => {
    const few = predictor({ maxBatchImages: 2 });
    await expectError(await post(few, '/predict/batch', form({ f: [{ bytes: teddy }, { bytes: teddy }, { bytes: teddy }] })), 413, /3 images is over the limit of 2/);
  });

  it('415 for a non-image type or bytes that are no image', async () => {
    await expectError(await post(app, '/predict', 'hello', { 'content-type': 'text/plain' }), 415, /not an image type/);
    await expectError(await post(app, '/predict', JSON.stringify({ a: 1 }), { 'content-type': 'application/json' }), 415, /not an image type/);
    await expectError(await post(app, '/predict', new TextEncoder().encode('just text') as BodyInit, { 'content-type': 'application/octet-stream' }), 415, /not an image/);
    await expectError(await post(app, '/predict', form({ file: [{ bytes: grizzly, type: 'application/pdf' }] })), 415, /not an image type/);
  });

  it('422 for a truncated or corrupt image', async () => {
    await expectError(await post(app, '/predict', grizzly.subarray(0, 600) as BodyInit), 422, /cannot decode the jpeg|truncated/);
    const corrupt = grizzly.slice();
    corrupt.fill(0x55, 700, corrupt.length);
    await expectError(await post(app, '/predict', corrupt as BodyInit), 422, /cannot decode the jpeg/);
    await expectError(await post(app, '/predict', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0) as BodyInit), 422, /jpeg header is truncated/);
  });

  it('422 for a decompression bomb, refused from its header before decoding', async () => {
    const t = performance.now();
    await expectError(await post(app, '/predict', pngHeader(100_000, 100_000) as BodyInit), 422, /100000x100000 = 10000000000 pixels is over the limit of 40000000/);
    expect(performance.now() - t).toBeLessThan(1000);
    const strict = predictor({ maxPixels: 1000 });
    await expectError(await post(strict, '/predict', grizzly as BodyInit), 422, /over the limit of 1000/);
  });

  it('503 with Retry-After when the queue is full', async () => {
    // A slow forward pass, so the five others arrive while the first one holds the only slot.
    const slow = { ...model, classes: model.classes, inputSize: model.inputSize, metadata: model.metadata, predictPrepared: async (b: Float32Array, n: number) => (await new Promise((r) => setTimeout(r, 300)), model.predictPrepared(b, n)) } as ExportedModel;
    const tiny = predictor({ maxQueue: 1, maxBatchSize: 1, retryAfterSeconds: 3 }, slow);
    const responses = await Promise.all(Array.from({ length: 6 }, () => post(tiny, '/predict', grizzly as BodyInit)));
    const statuses = responses.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    const busy = responses.find((r) => r.status === 503)!;
    expect(busy.headers.get('retry-after')).toBe('3');
    await expectError(busy, 503, /busy|queue is full/);
  });

  it('504 when a request runs past its timeout, and it leaves the queue', async () => {
    const slow = { ...model, classes: model.classes, inputSize: model.inputSize, metadata: model.metadata, predictPrepared: async (b: Float32Array, n: number) => (await new Promise((r) => setTimeout(r, 300)), model.predictPrepared(b, n)) } as ExportedModel;
    const hasty = predictor({ timeoutMs: 100 }, slow);
    await expectError(await post(hasty, '/predict', grizzly as BodyInit), 504, /longer than the limit of 100 ms/);
    await hasty.batcher.idle();
  });
});

describe('micro-batching through the app', () => {
  it('concurrent requests share a forward pass, and a photo that fails the pass never fails its mates', async () => {
    const sizes: number[] = [];
    // A model that throws on any batch holding the teddy photo's row (a stand-in for a bad input).
    const { decodeForModel } = await import('@bears/data');
    const teddyRow = await decodeForModel(backend.codec, teddy, { size: model.inputSize, resize: model.metadata.resize ?? 'crop', normalize: model.metadata.normalize });
    const len = teddyRow.length;
    const fragile = {
      ...model, classes: model.classes, inputSize: model.inputSize, metadata: model.metadata,
      predictPrepared: async (b: Float32Array, n: number) => {
        for (let i = 0; i < n; i++) if (b.subarray(i * len, i * len + 64).every((v, k) => v === teddyRow[k])) throw new Error('poisoned row');
        return model.predictPrepared(b, n);
      },
    } as ExportedModel;
    const a = predictor({ maxWaitMs: 50, onBatch: (n) => sizes.push(n) }, fragile);
    const [g, t, b] = await Promise.all([grizzly, teddy, black].map((bytes) => post(a, '/predict', bytes as BodyInit)));
    expect(sizes[0]).toBe(3); // one pass for all three, then one retry each
    expect(sizes.slice(1)).toEqual([1, 1, 1]);
    expect(g!.status).toBe(200);
    expect(b!.status).toBe(200);
    expect(t!.status).toBe(500);
    expect(((await t!.json()) as any).error.message).toMatch(/poisoned row/);
  });
});

describe('lifecycle', () => {
  it('drain(): in-flight requests finish, new ones get 503, then it resolves', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gated = { ...model, classes: model.classes, inputSize: model.inputSize, metadata: model.metadata, predictPrepared: async (b: Float32Array, n: number) => (await gate, model.predictPrepared(b, n)) } as ExportedModel;
    const a = predictor({}, gated);
    const inflight = post(a, '/predict', grizzly as BodyInit);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.inFlight).toBe(1);
    let drained = false;
    const draining = a.drain().then(() => (drained = true));
    const refused = await post(a, '/predict', grizzly as BodyInit);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as any).error.message).toMatch(/shutting down/);
    expect((await a.request('/health')).status).toBe(503);
    expect(drained).toBe(false);
    release();
    expect((await inflight).status).toBe(200);
    await draining;
    expect(drained).toBe(true);
  });

  it('no tensor leaks: numTensors is the same after hundreds of requests, good and bad', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      await Promise.all([
        ...Array.from({ length: 8 }, () => post(app, '/predict', grizzly as BodyInit)),
        post(app, '/predict', grizzly.subarray(0, 500) as BodyInit),
        post(app, '/predict/batch', form({ f: [{ bytes: teddy }, { bytes: black }] })),
      ]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes one JSON log entry per request', async () => {
    const logs: any[] = [];
    const a = predictor({ log: (e) => logs.push(e) });
    await post(a, '/predict', grizzly as BodyInit);
    await post(a, '/predict', 'x', { 'content-type': 'text/plain' });
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({ method: 'POST', path: '/predict', status: 200, label: expect.any(String) });
    expect(logs[1]).toMatchObject({ status: 415, error: expect.stringMatching(/not an image type/) });
    expect(() => JSON.stringify(logs)).not.toThrow();
  });
});
