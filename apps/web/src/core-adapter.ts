// TEMPORARY glue until the portable core (issue 11, CONTRACT.md) lands on main: a browser
// loadExport(url) with the contract's shape, built on today's public pieces. Once @bears/learner's
// root entry is browser-safe, this file is replaced by `export { loadExport } from '@bears/learner'`.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ActiveBackend } from '@bears/backend';

export interface ExportMetadataLike {
  format: string;
  formatVersion: number;
  arch: string;
  classes: string[];
  inputSize: number;
  normalize: { mean: number[]; std: number[] };
  resize?: 'squish' | 'crop' | 'pad';
  validation?: { loss: number; metrics: Record<string, number> };
  files: Record<string, string>;
}

export interface Prediction {
  label: string;
  index: number;
  probabilities: number[];
}

export interface ExportedModel {
  classes: string[];
  inputSize: number;
  metadata: ExportMetadataLike;
  predict(bytes: Uint8Array): Promise<Prediction>;
  dispose(): void;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} (is the model folder served there?)`);
  return new Uint8Array(await res.arrayBuffer());
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Loads an exported Bears model folder from a URL (metadata.json, model.json, weights.bin), checking every sha256. */
export async function loadExport(folderUrl: string, { backend }: { backend: ActiveBackend }): Promise<ExportedModel> {
  const base = folderUrl.endsWith('/') ? folderUrl : `${folderUrl}/`;
  const meta = JSON.parse(new TextDecoder().decode(await fetchBytes(`${base}metadata.json`))) as ExportMetadataLike;
  if (meta?.format !== 'bears-learner') throw new Error(`${base}metadata.json is not a Bears model export`);
  const files: Record<string, Uint8Array> = {};
  for (const [name, expected] of Object.entries(meta.files)) {
    files[name] = await fetchBytes(`${base}${name}`);
    if ((await sha256Hex(files[name]!)) !== expected) throw new Error(`${base}${name}: sha256 does not match metadata.json (corrupt or modified)`);
  }
  const mj = JSON.parse(new TextDecoder().decode(files['model.json']!));
  const weightSpecs = mj.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
  const shards = mj.weightsManifest.flatMap((g: { paths: string[] }) => g.paths).map((p: string) => files[p]!);
  const total = shards.reduce((s: number, b: Uint8Array) => s + b.length, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const b of shards) {
    weightData.set(b, off);
    off += b.length;
  }
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs, weightData: weightData.buffer }));
  const fit = meta.resize === 'squish' ? 'fill' : meta.resize === 'pad' ? 'contain' : 'cover';
  const { mean, std } = meta.normalize;
  return {
    classes: meta.classes,
    inputSize: meta.inputSize,
    metadata: meta,
    async predict(bytes) {
      const rgb = await backend.codec.decodeRgb(bytes, { size: meta.inputSize, fit });
      const probs = tf.tidy(() => {
        const px = tf.cast(tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32'), 'float32');
        const x = tf.div(tf.sub(px, tf.tensor1d(mean.map((m) => m * 255))), tf.tensor1d(std.map((s) => s * 255)));
        return model.predict(tf.expandDims(x, 0)) as tf.Tensor2D;
      });
      const p = Array.from(await probs.data());
      probs.dispose();
      let index = 0;
      for (let j = 1; j < p.length; j++) if (p[j]! > p[index]!) index = j;
      return { label: meta.classes[index] ?? String(index), index, probabilities: p };
    },
    dispose: () => model.dispose(),
  };
}
