// Page entry bundled by the test harness: exposes `window.bears` for the vitest driver.
import * as tf from '@tensorflow/tfjs-core';
import { registerBackend, useBackend, type DecodeOptions } from '@bears/backend';
import { wasmBackend } from '@bears/backend-wasm';
import { createWebGlBackend, createWebGpuBackend, webglBackend, webgpuBackend } from '../index.js';
import { conformanceCases, runConformance } from './suite.js';
import { serveWasmFromOrigin } from './page-common.js';

serveWasmFromOrigin();
const cases = conformanceCases({ scale: 'small' });
let started = '';

export interface StartInfo { name: string; tfBackendName: string; skipped: Array<{ name: string; reason: string }>; capabilities: unknown }

const api = {
  async start(name: string): Promise<StartInfo> {
    const active = await useBackend(name, { env: null });
    started = active.tfBackendName;
    return { name: active.name, tfBackendName: active.tfBackendName, skipped: active.skipped, capabilities: active.capabilities };
  },
  caseKeys(): string[] {
    return cases.map((c) => `${c.group} > ${c.name}`);
  },
  async runCase(key: string) {
    const found = cases.filter((c) => `${c.group} > ${c.name}` === key);
    if (found.length !== 1) return { ok: false, error: `case '${key}' ${found.length ? 'is not unique' : 'does not exist'} in the browser bundle`, ms: 0 };
    // A previous case may have left another backend current (the cpu reference runs).
    if (started && tf.getBackend() !== started) await tf.setBackend(started);
    const [result] = await runConformance(found);
    if (result!.ok && started && tf.getBackend() !== started) return { ...result!, ok: false, error: `the case left tfjs on '${tf.getBackend()}' instead of '${started}'` };
    return result!;
  },
  numTensors(): number {
    return tf.memory().numTensors;
  },
  /** 'auto' with the browser plugins built with these options (restored afterwards). */
  async auto(options: { allowSoftware?: boolean } = {}): Promise<StartInfo> {
    registerBackend(createWebGpuBackend(options));
    registerBackend(createWebGlBackend(options));
    registerBackend(wasmBackend);
    try {
      return await api.start('auto');
    } finally {
      registerBackend(webgpuBackend);
      registerBackend(webglBackend);
    }
  },
  async decode(bytes: number[], options?: DecodeOptions) {
    const active = await useBackend('auto', { env: null });
    const rgb = await active.codec.decodeRgb(Uint8Array.from(bytes), options);
    return { width: rgb.width, height: rgb.height, data: Array.from(rgb.data) };
  },
  /** Runs useBackend + decode inside a dedicated module Worker. */
  decodeInWorker(bytes: number[], options?: DecodeOptions, backend = 'auto'): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const worker = new Worker('/worker.js', { type: 'module' });
      worker.onmessage = (e) => { worker.terminate(); resolve(e.data); };
      worker.onerror = (e) => { worker.terminate(); reject(new Error(`worker failed: ${e.message}`)); };
      worker.postMessage({ bytes: Uint8Array.from(bytes), options, backend });
    });
  },
};

(globalThis as Record<string, unknown>).bears = api;
(globalThis as Record<string, unknown>).bearsReady = true;
