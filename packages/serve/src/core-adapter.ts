// The ONE adapter onto the portable-core API of /work/CONTRACT.md (issue 11): loadExport,
// ExportedModel.predictPrepared, preprocess and decodeForModel. Today's @bears/learner and
// @bears/data roots import node:fs and sharp, which the Workers entry cannot load, so this file
// implements the contract's names on tfjs alone. When `core:` lands on main, this file is
// replaced by re-exports from @bears/learner and @bears/data.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageCodec, RgbImage } from '@bears/backend';
import { foldBatchNorm } from './fold-batch-norm.js';

export type ValidResize = 'squish' | 'crop' | 'pad';
export interface Normalization {
  mean: number[];
  std: number[];
}

/** metadata.json of an exported model folder (the fields serving reads). */
export interface ExportMetadata {
  format: 'bears-learner';
  formatVersion: number;
  library?: string;
  libraryVersion: string;
  arch: string;
  classes: string[];
  inputSize: number;
  normalize: Normalization;
  resize?: ValidResize;
  createdAt: string;
  validation?: { loss: number; metrics: Record<string, number> };
  files: Record<string, string>;
}

export interface Prediction {
  label: string;
  index: number;
  probabilities: number[];
}

export interface ExportedModel {
  readonly classes: string[];
  readonly inputSize: number;
  readonly metadata: ExportMetadata;
  /** sha256 (hex) of metadata.json, which lists every file's sha256: one id for the whole export. */
  readonly checksum: string;
  /** Whether batch norm was folded into the convolutions at load. */
  readonly folded: boolean;
  /** Already-preprocessed inputs ([n, size, size, 3] row-major), for micro-batching. */
  predictPrepared(batch: Float32Array, n: number): Promise<Prediction[]>;
  dispose(): void;
}

/** Error for a model folder that cannot be used, with the file at fault. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** Error for bytes that are not a decodable image (the contract's ImageLoadError). */
export class ImageLoadError extends Error {
  override name = 'ImageLoadError';
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function json<T>(bytes: Uint8Array | undefined, file: string): T {
  if (!bytes) throw new ModelLoadError(`${file} is missing: is this a folder written by \`bears train\` / learner.export()?`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (err) {
    throw new ModelLoadError(`${file} is not valid JSON (${(err as Error).message}): the file is corrupt`);
  }
}

export interface LoadExportOptions {
  /** Fold batch norm into the preceding convolutions (same outputs, fewer passes). Default true. */
  foldBatchNorm?: boolean;
}

/** Loads an export from its files: checks format and every sha256, then builds the layers model. */
export async function loadExport(source: { files: Record<string, Uint8Array> }, options: LoadExportOptions = {}): Promise<ExportedModel> {
  const { files } = source;
  const metaBytes = files['metadata.json'];
  const meta = json<ExportMetadata>(metaBytes, 'metadata.json');
  if (meta?.format !== 'bears-learner') throw new ModelLoadError(`metadata.json is not a Bears model export (format '${String(meta?.format)}')`);
  if (meta.formatVersion !== 1) throw new ModelLoadError(`metadata.json has export format version ${String(meta.formatVersion)}; this server reads format 1`);
  if (!Array.isArray(meta.classes) || meta.classes.length < 2 || !meta.inputSize || !meta.normalize || !meta.files) {
    throw new ModelLoadError('metadata.json lacks classes, inputSize, normalize or files: the file is corrupt');
  }
  for (const [file, expected] of Object.entries(meta.files)) {
    const bytes = files[file];
    if (!bytes) throw new ModelLoadError(`${file} is missing (listed in metadata.json)`);
    if ((await sha256Hex(bytes)) !== expected) throw new ModelLoadError(`${file}: sha256 does not match metadata.json: the file is corrupt or was modified`);
  }
  const mj = json<{ modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] }>(files['model.json'], 'model.json');
  const shards = mj.weightsManifest.flatMap((g) => g.paths).map((p) => {
    const b = files[p];
    if (!b) throw new ModelLoadError(`${p} is missing (listed in model.json)`);
    return b;
  });
  const total = shards.reduce((s, b) => s + b.length, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const b of shards) (weightData.set(b, off), (off += b.length));
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest.flatMap((g) => g.weights), weightData: weightData.buffer }),
    );
  } catch (err) {
    throw new ModelLoadError(`model.json could not be loaded as a layers model: ${(err as Error).message}`);
  }
  const outUnits = (model.outputs[0]!.shape as number[])[1];
  if (outUnits !== meta.classes.length) {
    model.dispose();
    throw new ModelLoadError(`metadata.json lists ${meta.classes.length} classes but the model outputs ${outUnits}`);
  }
  let folded = false;
  if (options.foldBatchNorm ?? true) {
    const f = await foldBatchNorm(model);
    if (f !== model) {
      model.dispose();
      model = f;
      folded = true;
    }
  }
  return new LayersExport(model, meta, await sha256Hex(metaBytes!), folded);
}

class LayersExport implements ExportedModel {
  constructor(
    readonly model: tfl.LayersModel,
    readonly metadata: ExportMetadata,
    readonly checksum: string,
    readonly folded: boolean,
  ) {}

  get classes(): string[] {
    return this.metadata.classes;
  }

  get inputSize(): number {
    return this.metadata.inputSize;
  }

  async predictPrepared(batch: Float32Array, n: number): Promise<Prediction[]> {
    const s = this.inputSize;
    if (batch.length !== n * s * s * 3) throw new RangeError(`predictPrepared: expected ${n}x${s}x${s}x3 values, got ${batch.length}`);
    const probs = tf.tidy(() => this.model.predict(tf.tensor4d(batch, [n, s, s, 3])) as tf.Tensor2D);
    let vals: Float32Array;
    try {
      vals = (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
    const k = this.classes.length;
    const out: Prediction[] = [];
    for (let i = 0; i < n; i++) {
      const p = Array.from(vals.subarray(i * k, (i + 1) * k));
      let index = 0;
      for (let j = 1; j < k; j++) if (p[j]! > p[index]!) index = j;
      out.push({ label: this.classes[index] ?? String(index), index, probabilities: p });
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

const FITS = { squish: 'fill', crop: 'cover', pad: 'contain' } as const;

export interface PreprocessOptions {
  size: number;
  resize: ValidResize;
  normalize: Normalization;
}

/** Decoded pixels (already at size x size) to the model input: HWC float32, (x/255 - mean) / std. */
export function preprocess(rgb: RgbImage, options: PreprocessOptions, out = new Float32Array(options.size * options.size * 3)): Float32Array {
  const { size, normalize } = options;
  if (rgb.width !== size || rgb.height !== size) throw new RangeError(`preprocess: expected ${size}x${size} pixels, got ${rgb.width}x${rgb.height}`);
  const scale = normalize.std.map((s) => 1 / (255 * s));
  const shift = normalize.mean.map((m, c) => -m / normalize.std[c]!);
  const d = rgb.data;
  for (let i = 0; i < size * size * 3; i += 3) {
    out[i] = d[i]! * scale[0]! + shift[0]!;
    out[i + 1] = d[i + 1]! * scale[1]! + shift[1]!;
    out[i + 2] = d[i + 2]! * scale[2]! + shift[2]!;
  }
  return out;
}

/** Bytes to model input through the backend's codec and preprocess(): the one road. */
export async function decodeForModel(codec: ImageCodec, bytes: Uint8Array, options: PreprocessOptions): Promise<Float32Array> {
  if (bytes.length === 0) throw new ImageLoadError('empty file (0 bytes)');
  let rgb: RgbImage;
  try {
    rgb = await codec.decodeRgb(bytes, { size: options.size, fit: FITS[options.resize] });
  } catch (err) {
    throw new ImageLoadError((err as Error).message, { cause: err });
  }
  return preprocess(rgb, options);
}
