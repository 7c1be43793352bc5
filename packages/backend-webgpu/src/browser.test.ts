// Runs the shared conformance suite in headless Chromium on WebGPU (SwiftShader), WebGL and wasm,
// one vitest test per (backend, case). Nothing here skips: no Chromium means every test fails.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startBrowserSession, type BrowserSession, type HarnessPage } from './harness/session.js';
import { conformanceCases } from './browser/suite.js';
import { encodeRgbPng } from './harness/png.js';

const BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
const CASE_TIMEOUT = 180_000;

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

let opened: BrowserSession | undefined;
const session = once(async () => (opened = await startBrowserSession(['conformance', 'worker'])));
afterAll(async () => {
  await opened?.close();
});

/** Calls `window.bears[method](...args)` in the page. */
function invoke<T>(p: HarnessPage, method: string, args: unknown[]): Promise<T> {
  return p.page.evaluate(
    ([m, a]) => (globalThis as unknown as { bears: Record<string, (...x: unknown[]) => Promise<T>> }).bears[m]!(...a),
    [method, args] as const,
  ) as Promise<T>;
}

type Bears = {
  start(name: string): Promise<{ name: string; tfBackendName: string; skipped: Array<{ name: string; reason: string }>; capabilities: { canTrain: boolean; accelerator: string; runtime: string; details?: string } }>;
  caseKeys(): string[];
  runCase(key: string): Promise<{ ok: boolean; error?: string; ms: number }>;
  numTensors(): number;
};

const caseKeys = conformanceCases({ scale: 'small' }).map((c) => `${c.group} > ${c.name}`);

for (const backend of BACKENDS) {
  describe(`Chromium ${backend}`, () => {
    let page: HarnessPage | undefined;
    let startInfo: Awaited<ReturnType<Bears['start']>> | undefined;
    let tensorsAtStart = 0;
    const ready = once(async () => {
      page = await (await session()).openPage('conformance');
      startInfo = await invoke(page, 'start', [backend]);
      tensorsAtStart = await invoke(page, 'numTensors', []);
      return page;
    });

    it(`useBackend('${backend}') starts it and reports it`, async () => {
      await ready();
      expect(startInfo?.name).toBe(backend);
      expect(startInfo?.tfBackendName).toBe(backend);
      expect(startInfo?.skipped).toEqual([]);
      expect(startInfo?.capabilities.runtime).toBe('browser');
      expect(startInfo?.capabilities.canTrain, startInfo?.capabilities.details).toBe(true);
    }, CASE_TIMEOUT);

    it('the browser bundle holds the same conformance cases', async () => {
      const p = await ready();
      expect(await invoke(p, 'caseKeys', [])).toEqual(caseKeys);
    }, CASE_TIMEOUT);

    for (const key of caseKeys) {
      it(key, async () => {
        const p = await ready();
        const result = await invoke<Awaited<ReturnType<Bears['runCase']>>>(p, 'runCase', [key]);
        if (!result.ok) throw new Error(`[${backend}] ${key}: ${result.error}${p.log() ? `\n--- browser log ---\n${p.log()}` : ''}`);
      }, CASE_TIMEOUT);
    }

    it('leaves no tensors behind after the suite', async () => {
      const p = await ready();
      const after = await invoke<number>(p, 'numTensors', []);
      expect(after).toBe(tensorsAtStart);
      await p.page.context().close();
    }, CASE_TIMEOUT);
  });
}

type StartInfo = Awaited<ReturnType<Bears['start']>>;

// Init scripts run before the page's own code: they take WebGPU/WebGL away the way a browser
// without them (or with them blocklisted) would.
const HIDE_WEBGPU = `Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });`;
const HIDE_WEBGL = `for (const C of [HTMLCanvasElement, OffscreenCanvas]) {
  const orig = C.prototype.getContext;
  C.prototype.getContext = function (kind, ...rest) { return /webgl/.test(kind) ? null : orig.call(this, kind, ...rest); };
}`;

describe("Chromium 'auto' picks WebGPU -> WebGL -> wasm and says what it skipped", () => {
  async function auto(initScript?: string, options?: { allowSoftware?: boolean }): Promise<StartInfo> {
    const p = await (await session()).openPage('conformance', { initScript });
    try {
      return await invoke<StartInfo>(p, 'auto', [options]);
    } finally {
      await p.page.context().close();
    }
  }

  it('chooses webgpu when an adapter exists', async () => {
    const info = await auto();
    expect(info.name).toBe('webgpu');
    expect(info.skipped).toEqual([]);
    // Headless Chromium without a GPU offers SwiftShader: reported honestly as a CPU device.
    expect(info.capabilities.details).toMatch(/adapter: .*swiftshader/i);
    expect(info.capabilities.accelerator).toBe('cpu');
  }, CASE_TIMEOUT);

  it('falls to webgl when the browser has no WebGPU', async () => {
    const info = await auto(HIDE_WEBGPU);
    expect(info.name).toBe('webgl');
    expect(info.skipped).toEqual([{ name: 'webgpu', reason: expect.stringMatching(/navigator\.gpu is missing/) }]);
  }, CASE_TIMEOUT);

  it('falls to wasm when neither WebGPU nor WebGL works', async () => {
    const info = await auto(HIDE_WEBGPU + HIDE_WEBGL);
    expect(info.name).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['webgpu', 'webgl']);
    expect(info.skipped[1]!.reason).toMatch(/no WebGL context/);
  }, CASE_TIMEOUT);

  it('passes over software adapters when allowSoftware is false', async () => {
    const info = await auto(undefined, { allowSoftware: false });
    expect(info.name).toBe('wasm');
    expect(info.skipped).toEqual([
      { name: 'webgpu', reason: expect.stringMatching(/software WebGPU adapter/) },
      { name: 'webgl', reason: expect.stringMatching(/software WebGL renderer .*SwiftShader/) },
    ]);
  }, CASE_TIMEOUT);
});

type DecodeApi = {
  decode(bytes: number[], options?: unknown): Promise<{ width: number; height: number; data: number[] }>;
  decodeInWorker(bytes: number[], options?: unknown, backend?: string): Promise<{
    ok: boolean; error?: string; inWorker: boolean; backend: string; codec: string; width: number; height: number; data: number[]; tensorMean: number; numTensors: number;
  }>;
};

describe('browser codec in a Web Worker', () => {
  const page = once(async () => (await session()).openPage('conformance'));
  const call = async <K extends keyof DecodeApi>(method: K, ...args: Parameters<DecodeApi[K]>): Promise<Awaited<ReturnType<DecodeApi[K]>>> =>
    invoke<Awaited<ReturnType<DecodeApi[K]>>>(await page(), method, args);

  // A 7x5 PNG with distinct known pixels: decoding must be exact.
  const w = 7, h = 5;
  const pixels = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + 11) % 256);
  const png = Array.from(encodeRgbPng(pixels, w, h));

  it('decodes a PNG exactly inside a Worker, on the backend auto picks there', async () => {
    const r = await call('decodeInWorker', png);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.inWorker).toBe(true);
    expect(r.codec).toBe('browser');
    expect(r.backend).toBe('webgpu');
    expect([r.width, r.height]).toEqual([w, h]);
    expect(r.data).toEqual(Array.from(pixels));
    const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
    expect(r.tensorMean).toBeCloseTo(mean, 3);
    expect(r.numTensors).toBe(0);
  }, CASE_TIMEOUT);

  it('decodes and resizes a real JPEG in a Worker exactly as on the page', async () => {
    const file = new URL('../../../../shared/data/bears/black/am_00000000.jpg', import.meta.url);
    const jpeg = Array.from(readFileSync(file));
    const full = await call('decodeInWorker', jpeg, undefined, 'wasm');
    expect(full.error).toBeUndefined();
    expect([full.width, full.height]).toEqual([276, 182]); // manifest.csv
    for (const fit of ['cover', 'contain', 'fill']) {
      const options = { size: [24, 32], fit };
      const inWorker = await call('decodeInWorker', jpeg, options, 'webgl');
      const onPage = await call('decode', jpeg, options);
      expect(inWorker.error).toBeUndefined();
      expect(inWorker.backend).toBe('webgl');
      expect([inWorker.width, inWorker.height]).toEqual([32, 24]);
      expect(inWorker.data).toEqual(onPage.data);
    }
  }, CASE_TIMEOUT);

  it('rejects corrupt bytes in a Worker with a clear error', async () => {
    const truncated = png.slice(0, 40);
    const r = await call('decodeInWorker', truncated);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/Cannot decode image: png data is corrupt/);
  }, CASE_TIMEOUT);
});
