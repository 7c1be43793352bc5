import { Miniflare } from 'miniflare';
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeFloat16Export } from './node/quantize.js';
import { bundleWorker, type WorkerBundle } from './test-support/bundle-worker.js';
import { bearBytes } from './test-support/fixtures.js';
import { pngHeader } from './test-support/images.js';
import { rawPost } from './test-support/raw-post.js';

// The Workers entry in a real workerd (Miniflare 4, pinned for Node 20), on 127.0.0.1.
let bundle: WorkerBundle;
let mf: Miniflare;
let url: URL;
let grizzly: Uint8Array;

const MODEL_FILES = ['metadata.json', 'model.json', 'weights.bin'];

beforeAll(async () => {
  bundle = await bundleWorker();
  // Static assets: the model folder published with the Worker, at /model/.
  const assets = await mkdtemp(path.join(tmpdir(), 'bears-serve-assets-'));
  await cp(inject('modelDir'), path.join(assets, 'model'), { recursive: true });
  mf = new Miniflare({
    modules: bundle.modules,
    compatibilityDate: '2025-04-01',
    host: '127.0.0.1',
    port: 0,
    assets: { directory: assets, binding: 'ASSETS', routerConfig: { has_user_worker: true } },
    bindings: { MAX_BODY_BYTES: '200000' },
  });
  url = await mf.ready;
  grizzly = await bearBytes('grizzly', 0, 0);
});

afterAll(async () => {
  await mf?.dispose();
});

const post = (p: string, body: BodyInit, headers: Record<string, string> = {}) => fetch(new URL(p, url), { method: 'POST', body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);

describe('@bears/serve/workers in workerd', () => {
  it('the bundle is small enough for a Worker (wasm modules included)', () => {
    expect(url.hostname).toBe('127.0.0.1');
    expect(bundle.modules.map((m) => m.path)).toEqual(['worker.js', 'tfjs-backend-wasm-simd.wasm', 'mozjpeg_dec.wasm', 'squoosh_png_bg.wasm']);
    expect(bundle.bytes).toBeLessThan(3 * 1024 * 1024);
  });

  it('loads the model from static assets once, on the wasm backend, with the wasm decoders', async () => {
    const info = (await (await fetch(new URL('/info', url))).json()) as Record<string, any>;
    expect(info.classes).toEqual(['black', 'grizzly', 'teddy']);
    expect(info.backend).toMatchObject({ name: 'wasm', codec: 'jsquash-wasm', runtime: 'edge' });
    const health = (await (await fetch(new URL('/health', url))).json()) as { memory: { tensorBytes: number; wasmHeapBytes: number } };
    // Workers give an isolate 128 MB: the model's tensors plus the wasm heap must fit well inside.
    expect(health.memory.tensorBytes + health.memory.wasmHeapBytes).toBeLessThan(100 * 1024 * 1024);
  });

  it('labels a real bear photo like the Node server does', async () => {
    const res = await post('/predict', grizzly as BodyInit, { 'content-type': 'image/jpeg' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { label: string; probabilities: Record<string, number> };
    expect(body.label).toBe('grizzly');
    expect(body.probabilities.grizzly).toBeGreaterThan(0.5);
    const fd = new FormData();
    fd.append('file', new File([grizzly as BlobPart], 'g.jpg', { type: 'image/jpeg' }));
    expect(((await (await post('/predict', fd)).json()) as { label: string }).label).toBe('grizzly');
  });

  it('decodes PNG too', async () => {
    const sharp = (await import('sharp')).default;
    const png = new Uint8Array(await sharp(grizzly).png().toBuffer());
    const body = (await (await post('/predict', png as BodyInit, { 'content-type': 'image/png' })).json()) as { label: string };
    expect(body.label).toBe('grizzly');
  });

  it('413 over the limit, with Content-Length and chunked', async () => {
    const a = await rawPost(new URL('/predict', url).href, [new Uint8Array(300_000).fill(0xff)], { 'content-type': 'image/jpeg', 'content-length': '300000' });
    expect(a.status).toBe(413);
    expect(JSON.parse(a.body).error.message).toMatch(/over the limit of 200000 bytes/);
    const b = await rawPost(new URL('/predict', url).href, Array.from({ length: 40 }, () => new Uint8Array(10_000)), { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' });
    expect(b.status).toBe(413);
  });

  it('415 for a non-image, 422 for a truncated photo and for a decompression bomb', async () => {
    const a = await post('/predict', 'hello', { 'content-type': 'text/plain' });
    expect(a.status).toBe(415);
    expect(((await a.json()) as any).error.message).toMatch(/not an image type/);
    const b = await post('/predict', grizzly.subarray(0, 700) as BodyInit, { 'content-type': 'image/jpeg' });
    expect(b.status).toBe(422);
    expect(((await b.json()) as any).error.message).toMatch(/jpeg/);
    const c = await post('/predict', pngHeader(50_000, 50_000) as BodyInit, { 'content-type': 'image/png' });
    expect(c.status).toBe(422);
    expect(((await c.json()) as any).error.message).toMatch(/pixels is over the limit/);
  });

  it('the model can come from an R2 bucket instead, with float16 weights', async () => {
    const r2 = new Miniflare({ modules: bundle.modules, compatibilityDate: '2025-04-01', host: '127.0.0.1', port: 0, r2Buckets: ['MODEL_BUCKET'] });
    try {
      const u = await r2.ready;
      const bucket = (await r2.getR2Bucket('MODEL_BUCKET')) as unknown as { put(key: string, value: Uint8Array): Promise<unknown> };
      const missing = await fetch(new URL('/health', u));
      expect(missing.status).toBe(503);
      expect(((await missing.json()) as any).error.message).toMatch(/R2 object model\/metadata.json not found/);
      // The float16 copy (half the bytes), as one would upload to R2 for a Worker.
      const f16 = path.join(await mkdtemp(path.join(tmpdir(), 'bears-serve-f16-')), 'model');
      await writeFloat16Export(inject('modelDir'), f16);
      for (const f of MODEL_FILES) await bucket.put(`model/${f}`, new Uint8Array(await readFile(path.join(f16, f))));
      const res = await fetch(new URL('/predict', u), { method: 'POST', body: grizzly as BodyInit });
      expect(((await res.json()) as { label: string }).label).toBe('grizzly');
    } finally {
      await r2.dispose();
    }
  });
});
