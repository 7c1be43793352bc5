// Page entry for the cross-runtime check: an exported Bears model loaded over HTTP with the
// portable @bears/learner root entry, predicting on the WebGPU or wasm backend in Chromium.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type ActiveBackend, type RgbImage } from '@bears/backend';
import '@bears/backend-wasm';
import { loadExport, type ExportedModel } from '@bears/learner';
import '../index.js';
import { errorText, serveWasmFromOrigin } from './page-common.js';

serveWasmFromOrigin();
let backend: ActiveBackend | undefined;
let model: ExportedModel | undefined;

type Result = { ok: true; label: string; probabilities: number[] } | { ok: false; error: string };

const api = {
  async start(name: string): Promise<{ name: string; codec: string }> {
    backend = await useBackend(name, { env: null });
    return { name: backend.name, codec: backend.codec.name };
  },
  async load(url: string): Promise<{ classes: string[]; inputSize: number }> {
    model?.dispose();
    model = await loadExport(new URL(url, location.href).href, { backend });
    return { classes: model.classes, inputSize: model.inputSize };
  },
  /** Fetches each photo's bytes and predicts through the browser codec and preprocess(). */
  async predictUrls(urls: string[]): Promise<Result[]> {
    const out: Result[] = [];
    for (const u of urls) {
      try {
        const bytes = new Uint8Array(await (await fetch(u)).arrayBuffer());
        const p = await model!.predict(bytes);
        out.push({ ok: true, label: p.label, probabilities: p.probabilities });
      } catch (err) {
        out.push({ ok: false, error: errorText(err) });
      }
    }
    return out;
  },
  /** Predicts from decoded pixels handed over from Node (the same RGB bytes on both sides). */
  async predictPixels(images: Array<{ data: number[]; width: number; height: number }>): Promise<Result[]> {
    const rgb: RgbImage[] = images.map((i) => ({ data: Uint8Array.from(i.data), width: i.width, height: i.height }));
    try {
      return (await model!.predictBatch(rgb)).map((p) => ({ ok: true as const, label: p.label, probabilities: p.probabilities }));
    } catch (err) {
      return [{ ok: false, error: errorText(err) }];
    }
  },
  numTensors(): number {
    return tf.memory().numTensors;
  },
};

(globalThis as Record<string, unknown>).bears = api;
(globalThis as Record<string, unknown>).bearsReady = true;
