// Web Worker entry for the cross-runtime check: the portable learner with no DOM at all.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import '@bears/backend-wasm';
import { loadExport } from '@bears/learner';
import { errorText, serveWasmFromOrigin } from './page-common.js';

interface WorkerScope {
  onmessage: ((e: { data: { modelUrl: string; photoUrls: string[]; backend: string } }) => void) | null;
  postMessage(message: unknown): void;
  location: { href: string };
}
const scope = globalThis as unknown as WorkerScope;
serveWasmFromOrigin();

scope.onmessage = async ({ data }) => {
  try {
    const backend = await useBackend(data.backend, { env: null });
    const model = await loadExport(new URL(data.modelUrl, scope.location.href).href, { backend });
    const predictions = [];
    for (const u of data.photoUrls) {
      const bytes = new Uint8Array(await (await fetch(new URL(u, scope.location.href))).arrayBuffer());
      const p = await model.predict(bytes);
      predictions.push({ label: p.label, probabilities: p.probabilities });
    }
    model.dispose();
    scope.postMessage({
      ok: true,
      inWorker: typeof (globalThis as Record<string, unknown>).WorkerGlobalScope !== 'undefined' && typeof (globalThis as Record<string, unknown>).document === 'undefined',
      backend: backend.name,
      codec: backend.codec.name,
      predictions,
      numTensors: tf.memory().numTensors,
    });
  } catch (err) {
    scope.postMessage({ ok: false, error: errorText(err) });
  }
};
