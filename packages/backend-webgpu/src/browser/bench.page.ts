// Benchmark page: `window.bears.bench(backend, config)` times MobileNetV2 on one backend.
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import '../index.js';
import { timeMobileNetV2, type BenchConfig } from '@bears/backend/testing';
import { serveWasmFromOrigin } from './page-common.js';

serveWasmFromOrigin();

(globalThis as Record<string, unknown>).bears = {
  /** Starts a backend only to see whether it runs on a software rasteriser. */
  async probe(backend: string) {
    try {
      const active = await useBackend(backend, { env: null });
      return { ok: true, software: active.capabilities.accelerator === 'cpu' && backend !== 'wasm' };
    } catch (err) {
      return { ok: false, software: false, error: (err as Error).message };
    }
  },
  async bench(backend: string, config: BenchConfig) {
    const active = await useBackend(backend, { env: null });
    const times = await timeMobileNetV2(config);
    return { backend: active.name, details: active.capabilities.details ?? '', accelerator: active.capabilities.accelerator, ...times };
  },
};
(globalThis as Record<string, unknown>).bearsReady = true;
