// The cross-runtime check of the portable core: one exported model, the same five real bear photos,
// predicted in Node (wasm, sharp codec) and in headless Chromium (wasm and WebGPU, browser codec,
// the model loaded over HTTP from a loopback server). Same labels, probabilities within 0.02; given
// the same decoded pixels, outputs within 1e-5. Needs Chromium and ../shared (data and MobileNet).
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { sharpCodec } from '@bears/backend/node';
import { ImageDataset, resizeFit } from '@bears/data/node';
import { cnnLearner, exportToFiles, loadExport, type ExportedModel } from '@bears/learner/node';
import { startBrowserSession, type BrowserSession, type HarnessPage } from './harness/session.js';

const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const BEARS = path.join(SHARED, 'data/bears');
const MOBILENET = path.join(SHARED, 'models/mobilenet_v1_0.75_224');
const CLASSES = ['black', 'grizzly', 'teddy'];
const TIMEOUT = 600_000;

type Result = { ok: true; label: string; probabilities: number[] } | { ok: false; error: string };

let session: BrowserSession | undefined;
let node: ExportedModel;
let photos: Array<{ name: string; bytes: Uint8Array }> = [];
let trainItems: Array<{ id: string; label: string; url: string }> = [];
let pixels: Array<{ data: number[]; width: number; height: number }> = [];
let work = '';

function invoke<T>(p: HarnessPage, method: string, args: unknown[]): Promise<T> {
  return p.page.evaluate(([m, a]) => (globalThis as unknown as { bears: Record<string, (...x: unknown[]) => Promise<T>> }).bears[m]!(...a), [method, args] as const) as Promise<T>;
}

/** Opens a fresh page, runs `fn`, and closes the page whatever happens. */
async function withPage<T>(fn: (page: HarnessPage) => Promise<T>): Promise<T> {
  const page = await session!.openPage('portable');
  try {
    return await fn(page);
  } finally {
    await page.page.context().close();
  }
}

/** Calls a page method that answers { ok, error? }; a failure throws with the browser log. */
async function call<T>(page: HarnessPage, method: string, args: unknown[]): Promise<T> {
  const r = await invoke<T & { ok: boolean; error?: string }>(page, method, args);
  if (!r.ok) throw new Error(`${r.error}\n--- browser log ---\n${page.log()}`);
  return r;
}

/** Largest absolute difference between two probability rows. */
function maxDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((v, j) => Math.abs(v - b[j]!)));
}

function okOnly(results: Result[], log: string): Array<{ label: string; probabilities: number[] }> {
  return results.map((r) => {
    if (!r.ok) throw new Error(`${r.error}\n--- browser log ---\n${log}`);
    return r;
  });
}

beforeAll(async () => {
  const backend = await useBackend('wasm', { env: null });
  // A small training folder (8 photos per class) and five other photos to predict.
  work = await mkdtemp(path.join(tmpdir(), 'bears-portable-'));
  for (const c of CLASSES) {
    const files = (await readdir(path.join(BEARS, c))).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    await mkdir(path.join(work, 'data', c), { recursive: true });
    for (const f of files.slice(0, 8)) {
      await symlink(path.join(BEARS, c, f), path.join(work, 'data', c, f));
      trainItems.push({ id: `${c}/${f}`, label: c, url: `/data/${c}/${f}` });
    }
    for (const f of files.slice(20, c === 'teddy' ? 21 : 22)) photos.push({ name: `${c}-${f}`, bytes: new Uint8Array(await readFile(path.join(BEARS, c, f))) });
  }
  const data = await ImageDataset.fromFolder(path.join(work, 'data'), { validPct: 0.25, seed: 42, size: 224 });
  const learn = await cnnLearner(data, { backend, arch: 'mobilenet_v1_0.75', weights: MOBILENET, cacheViews: 1, batchSize: 8, seed: 42, log: () => {} });
  await learn.fitOneCycle(3, 3e-3);
  const files = await exportToFiles(learn);
  learn.dispose();
  node = await loadExport({ files }, { backend });
  // The same decoded pixels for both runtimes: sharp's decode at the model's size and fit.
  pixels = await Promise.all(
    photos.map(async (p) => {
      const rgb = await sharpCodec.decodeRgb(p.bytes, { size: node.inputSize, fit: resizeFit(node.input.resize) });
      return { data: Array.from(rgb.data), width: rgb.width, height: rgb.height };
    }),
  );
  const served = new Map<string, Uint8Array | string>();
  for (const [name, bytes] of Object.entries(files)) served.set(`/model/${name}`, bytes);
  for (const p of photos) served.set(`/photos/${p.name}`, p.bytes);
  for (const it of trainItems) served.set(it.url, new Uint8Array(await readFile(path.join(BEARS, it.id))));
  for (const f of await readdir(MOBILENET)) served.set(`/mobilenet/${f}`, new Uint8Array(await readFile(path.join(MOBILENET, f))));
  session = await startBrowserSession(['portable', 'portable-worker'], { files: served });
}, TIMEOUT);

afterAll(async () => {
  node?.dispose();
  await session?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('one exported model in Node and in Chromium', () => {
  for (const backend of ['wasm', 'webgpu'] as const) {
    it(`Chromium ${backend}: same labels as Node (wasm), probabilities within 0.02; same pixels within 1e-5`, () => withPage(async (page) => {
      const started = await invoke<{ name: string; codec: string }>(page, 'start', [backend]);
      expect(started).toEqual({ name: backend, codec: 'browser' });
      const info = await invoke<{ classes: string[]; inputSize: number }>(page, 'load', ['/model/']);
      expect(info).toEqual({ classes: node.classes, inputSize: node.inputSize });
      const before = await invoke<number>(page, 'numTensors', []);

      const inNode = await node.predictBatch(photos.map((p) => p.bytes));
      const inBrowser = okOnly(await invoke<Result[]>(page, 'predictUrls', [photos.map((p) => `/photos/${p.name}`)]), page.log());
      expect(inBrowser.map((r) => r.label)).toEqual(inNode.map((r) => r.label));
      inBrowser.forEach((r, i) => {
        expect(maxDiff(r.probabilities, inNode[i]!.probabilities), `${photos[i]!.name}: browser ${r.probabilities.map((v) => v.toFixed(4))} vs node ${inNode[i]!.probabilities.map((v) => v.toFixed(4))}`).toBeLessThanOrEqual(0.02);
      });

      const fromPixelsNode = await node.predictBatch(pixels.map((p) => ({ data: Uint8Array.from(p.data), width: p.width, height: p.height })));
      const fromPixelsBrowser = okOnly(await invoke<Result[]>(page, 'predictPixels', [pixels]), page.log());
      fromPixelsBrowser.forEach((r, i) => {
        expect(r.label).toBe(fromPixelsNode[i]!.label);
        expect(maxDiff(r.probabilities, fromPixelsNode[i]!.probabilities), `${photos[i]!.name} from the same pixels`).toBeLessThanOrEqual(1e-5);
      });
      expect(await invoke<number>(page, 'numTensors', [])).toBe(before);
    }), TIMEOUT);
  }
});

describe('the same model in a Web Worker', () => {
  it('Chromium Worker (wasm, OffscreenCanvas codec): same labels as Node, probabilities within 0.02', () => withPage(async (page) => {
    const r = await call<{ inWorker: boolean; backend: string; codec: string; predictions: Array<{ label: string; probabilities: number[] }> }>(
      page, 'predictInWorker', ['/model/', photos.map((p) => `/photos/${p.name}`), 'wasm'],
    );
    expect(r).toMatchObject({ inWorker: true, backend: 'wasm', codec: 'browser' });
    const inNode = await node.predictBatch(photos.map((p) => p.bytes));
    expect(r.predictions.map((p) => p.label)).toEqual(inNode.map((p) => p.label));
    r.predictions.forEach((p, i) => expect(maxDiff(p.probabilities, inNode[i]!.probabilities)).toBeLessThanOrEqual(0.02));
  }), TIMEOUT);
});

describe('training in the browser', () => {
  it('Chromium wasm: fromItems (fetched bytes) + weights over HTTP, a frozen fit, getPreds, exportToFiles -> loadExport', () => withPage(async (page) => {
    await invoke(page, 'start', ['wasm']);
    const r = await call<{ classes: string[]; train: number; valid: number; epochs: Array<{ trainLoss: number; validLoss: number; errorRate: number }>; validIds: string[]; files: string[]; maxDiff: number; leaked: number }>(
      page, 'train', [{ items: trainItems, weights: '/mobilenet/model.json', epochs: 2 }],
    );
    expect(r.classes).toEqual(CLASSES);
    expect(r.train + r.valid).toBe(trainItems.length);
    expect(r.epochs).toHaveLength(2);
    for (const e of r.epochs) expect(Number.isFinite(e.trainLoss) && Number.isFinite(e.validLoss)).toBe(true);
    // The same split as Node's hash split of the same ids.
    const inNode = (await import('@bears/data')).ImageDataset.fromItems(trainItems.map((i) => ({ id: i.id, label: i.label, bytes: new Uint8Array(1) })), { validPct: 0.25, seed: 42, size: 224 });
    expect(r.validIds).toEqual(inNode.valid.map((i) => i.id));
    expect(r.files).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    expect(r.maxDiff).toBeLessThanOrEqual(1e-5);
    expect(r.leaked).toBe(0);
  }), TIMEOUT);
});
