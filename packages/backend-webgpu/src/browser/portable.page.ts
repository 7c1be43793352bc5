// Page entry for the cross-runtime check: an exported Bears model loaded over HTTP with the
// portable @bears/learner root entry, predicting on the WebGPU or wasm backend in Chromium.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type ActiveBackend, type RgbImage } from '@bears/backend';
import '@bears/backend-wasm';
import { ImageDataset } from '@bears/data';
import { cnnLearner, exportToFiles, loadExport, type ExportedModel } from '@bears/learner';
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
  /**
   * Browser training: images fetched into memory (ImageDataset.fromItems), pretrained weights fetched
   * from a URL, a short frozen fit, then the export as files loaded back and compared.
   */
  async train(args: { items: Array<{ id: string; label: string; url: string }>; weights: string; epochs: number }) {
    try {
      const items = await Promise.all(args.items.map(async (i) => ({ id: i.id, label: i.label, bytes: new Uint8Array(await (await fetch(i.url)).arrayBuffer()) })));
      const data = ImageDataset.fromItems(items, { validPct: 0.25, seed: 42, size: 224 });
      const before = tf.memory().numTensors;
      const learn = await cnnLearner(data, { backend, arch: 'mobilenet_v1_0.75', weights: new URL(args.weights, location.href).href, cacheViews: 1, batchSize: 8, seed: 42, log: () => {} });
      const fit = await learn.fitOneCycle(args.epochs, 3e-3);
      const preds = await learn.getPreds({ split: 'valid', withLoss: true });
      const files = await exportToFiles(learn);
      const exported = await loadExport({ files }, { backend });
      const again = await exported.getPreds(data, { split: 'valid' });
      const maxDiff = Math.max(...Array.from(again.probs, (p, i) => Math.abs(p - preds.probs[i]!)));
      exported.dispose();
      learn.dispose();
      return {
        ok: true,
        classes: data.classes,
        train: data.train.length,
        valid: data.valid.length,
        epochs: fit.epochs.map((e) => ({ trainLoss: e.trainLoss, validLoss: e.validLoss, errorRate: e.metrics.error_rate })),
        validIds: preds.items.map((i) => i.id),
        files: Object.keys(files).sort(),
        maxDiff,
        leaked: tf.memory().numTensors - before,
      };
    } catch (err) {
      return { ok: false, error: errorText(err) };
    }
  },
  /** The same predictions from a module Web Worker (no DOM). */
  predictInWorker(modelUrl: string, photoUrls: string[], backendName: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const worker = new Worker('/portable-worker.js', { type: 'module' });
      worker.onmessage = (e) => { worker.terminate(); resolve(e.data); };
      worker.onerror = (e) => { worker.terminate(); reject(new Error(`worker failed: ${e.message}`)); };
      worker.postMessage({ modelUrl, photoUrls, backend: backendName });
    });
  },
  numTensors(): number {
    return tf.memory().numTensors;
  },
};

(globalThis as Record<string, unknown>).bears = api;
(globalThis as Record<string, unknown>).bearsReady = true;
