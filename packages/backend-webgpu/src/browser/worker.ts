// Web Worker entry: picks a backend and decodes an image with no DOM at all.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type DecodeOptions } from '@bears/backend';
import '@bears/backend-wasm';
import '../index.js';
import { errorText, serveWasmFromOrigin } from './page-common.js';

interface WorkerScope {
  onmessage: ((e: { data: { bytes: Uint8Array; options?: DecodeOptions; backend: string } }) => void) | null;
  postMessage(message: unknown): void;
}
const scope = globalThis as unknown as WorkerScope;
serveWasmFromOrigin();

scope.onmessage = async ({ data }) => {
  try {
    const active = await useBackend(data.backend, { env: null });
    const rgb = await active.codec.decodeRgb(data.bytes, data.options);
    const t = await active.codec.decode(data.bytes, data.options);
    const mean = tf.tidy(() => tf.mean(t));
    const meanValue = (await mean.data())[0];
    tf.dispose([t, mean]);
    scope.postMessage({
      ok: true,
      inWorker: typeof (globalThis as Record<string, unknown>).WorkerGlobalScope !== 'undefined' && typeof (globalThis as Record<string, unknown>).document === 'undefined',
      backend: active.name,
      skipped: active.skipped,
      codec: active.codec.name,
      width: rgb.width,
      height: rgb.height,
      data: Array.from(rgb.data),
      tensorMean: meanValue,
      numTensors: tf.memory().numTensors,
    });
  } catch (err) {
    scope.postMessage({ ok: false, error: errorText(err) });
  }
};
