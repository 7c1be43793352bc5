// A labelled folder and an exported model through the portable core (CONTRACT.md): loadLearner ->
// ExportedModel.getPreds, the backend's codec for pixels. Only the pixel facts are computed here.
import { activeBackend, notImageReason, sniffImageType, type ActiveBackend, type ImageCodec } from '@bears/backend';
import { sharpCodec } from '@bears/backend/node';
import { ImageDataset, ImageLoadError } from '@bears/data/node';
import { loadLearner, type ExportedModel } from '@bears/learner/node';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import { grey32, imageFacts, perceptualHash, pixelHash } from '../facts.js';
import type { ImageFacts, OnProgress } from '../types.js';
import { GradCam } from './gradcam.js';

/** The codec of the given backend, else of the active one, else sharp's. */
export function codecOf(backend?: ActiveBackend): ImageCodec {
  return (backend ?? activeBackend())?.codec ?? sharpCodec;
}

/** A labelled folder split as `bears train` splits it (seeded hash split, 20% valid). */
export async function openFolder(dataDir: string, options: { validPct?: number; seed?: number } = {}): Promise<ImageDataset> {
  return ImageDataset.fromFolder(dataDir, { validPct: options.validPct ?? 0.2, seed: options.seed ?? 42 });
}

/** An exported model folder, checked (format, checksums) by the core. */
export async function openModel(modelDir: string, backend?: ActiveBackend): Promise<ExportedModel> {
  return loadLearner(modelDir, backend ? { backend } : {});
}

/** The layer Grad-CAM looks at: where the body ends (metadata.bodyOutput), else the last 4D output. */
export function convLayerOf(model: ExportedModel): string {
  const named = model.metadata.bodyOutput;
  if (named && model.model.layers.some((l) => l.name === named)) return named;
  const convs = model.model.layers.filter((l) => (l.outputShape as number[]).length === 4);
  const last = convs[convs.length - 1];
  if (!last) throw new Error('Grad-CAM: the model has no convolutional layer');
  return last.name;
}

export function gradCamOf(model: ExportedModel): GradCam {
  const conv = convLayerOf(model);
  const toConv = tfl.model({ inputs: model.model.inputs, outputs: model.model.getLayer(conv).output as tfl.SymbolicTensor });
  return new GradCam(model.model, conv, toConv);
}

/**
 * The core's features are fastai's concat pool, [max, avg] per channel; the embedding used for
 * duplicates, outliers and the k-fold head is the average half (it measured better on the bears:
 * outliers 26 vs 22 of 42 in the top 100).
 */
export function averagePoolHalf(features: Float32Array, dim: number): { features: Float32Array; featureDim: number } {
  const half = dim / 2;
  const n = dim ? features.length / dim : 0;
  const out = new Float32Array(n * half);
  for (let i = 0; i < n; i++) out.set(features.subarray(i * dim + half, (i + 1) * dim), i * half);
  return { features: out, featureDim: half };
}

async function readImage(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ImageLoadError(file, `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  if (bytes.length === 0) throw new ImageLoadError(file, 'empty file (0 bytes)');
  if (!sniffImageType(bytes)) throw new ImageLoadError(file, notImageReason(bytes));
  return bytes;
}

/** Pixel facts of one file, decoded by the codec: full-size pixel hash, thumbnail measures, pHash. */
export async function factsOfFile(file: string, codec: ImageCodec = codecOf()): Promise<ImageFacts> {
  const bytes = await readImage(file);
  try {
    const full = await codec.decodeRgb(bytes);
    const thumb = await codec.decodeRgb(bytes, { size: 128, fit: 'inside' });
    return { ...imageFacts(thumb, full, pixelHash(full)), phash: perceptualHash(grey32(thumb)) };
  } catch (err) {
    throw new ImageLoadError(file, `corrupt or truncated image data (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
}

/** Facts of many files, a few at a time, in order; the first unreadable file throws, naming it. */
export async function factsOfFiles(files: string[], codec: ImageCodec, onProgress?: OnProgress): Promise<ImageFacts[]> {
  const out: ImageFacts[] = new Array(files.length);
  let done = 0;
  for (let s = 0; s < files.length; s += 8) {
    const chunk = files.slice(s, s + 8);
    (await Promise.all(chunk.map((f) => factsOfFile(f, codec)))).forEach((f, i) => (out[s + i] = f));
    done += chunk.length;
    onProgress?.({ phase: 'pixels', done, total: files.length });
  }
  return out;
}
