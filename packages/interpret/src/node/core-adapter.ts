// The one place that reaches today's @bears/learner and @bears/data for what the portable core
// (CONTRACT.md) will provide: loadExport + ExportedModel.getPreds({ withLoss, withFeatures }).
// When a `core:` commit lands on main, this file shrinks to calls of those functions.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { sniffImageType } from '@bears/backend';
import { ImageDataset, ImageLoadError, decodeCenterInto } from '@bears/data';
import { loadLearner, type ExportMetadata } from '@bears/learner';
import { GradCam } from './gradcam.js';
import { imageFacts, perceptualHash, pixelHash } from '../facts.js';
import type { ImageFacts, OnProgress, Preds } from '../types.js';

export interface FolderItem {
  /** Absolute path. */
  path: string;
  /** Relative to the dataset root, POSIX separators. */
  id: string;
  label: string;
  split: 'train' | 'valid';
}

/** A labelled folder split like `bears train` splits it (one class per subfolder, seeded hash split). */
export async function listFolder(dataDir: string, options: { classes?: string[]; validPct?: number; seed?: number } = {}): Promise<{ root: string; classes: string[]; items: FolderItem[] }> {
  const ds = await ImageDataset.fromFolder(dataDir, { validPct: options.validPct ?? 0.2, seed: options.seed ?? 42, ...(options.classes ? { classes: options.classes } : {}) });
  const toItem = (split: 'train' | 'valid') => (it: { file: string; label: number }): FolderItem => ({
    path: it.file, id: path.relative(ds.root, it.file).split(path.sep).join('/'), label: ds.classes[it.label]!, split,
  });
  const items = [...ds.train.map(toItem('train')), ...ds.valid.map(toItem('valid'))].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { root: ds.root, classes: ds.classes, items };
}

/** An exported model with the extra outputs interpretation needs: pooled features and the last conv map. */
export class InterpretModel {
  private readonly withFeatures: tfl.LayersModel;
  constructor(
    readonly model: tfl.LayersModel,
    readonly metadata: ExportMetadata,
    readonly dir: string,
    /** Layer whose output is the pooled body features. */
    readonly featureLayer: string,
    /** Last layer with a 4D output: where Grad-CAM looks. */
    readonly convLayer: string,
  ) {
    this.withFeatures = tfl.model({ inputs: model.inputs, outputs: [model.getLayer(featureLayer).output as tfl.SymbolicTensor, model.outputs[0]!] });
  }

  get classes(): string[] {
    return this.metadata.classes;
  }
  get inputSize(): number {
    return this.metadata.inputSize;
  }
  get checksum(): string | undefined {
    return this.metadata.files['weights.bin'];
  }

  /** The model's input for one file, through @bears/data's one validation decode. */
  async prepare(file: string, out: Float32Array, offset: number): Promise<void> {
    await decodeCenterInto(file, this.inputSize, this.metadata.resize ?? 'crop', this.metadata.normalize, out, offset);
  }

  /** Probabilities and pooled features of already-prepared inputs. */
  run(batch: Float32Array, n: number): { probs: Float32Array; features: Float32Array; featureDim: number } {
    const s = this.inputSize;
    const [f, p] = tf.tidy(() => {
      const outs = this.withFeatures.predict(tf.tensor4d(batch.subarray(0, n * s * s * 3), [n, s, s, 3])) as tf.Tensor[];
      return [outs[0]!.dataSync() as Float32Array, outs[1]!.dataSync() as Float32Array];
    });
    return { probs: p.slice(), features: f.slice(), featureDim: f.length / n };
  }

  /** Grad-CAM over the last conv layer. */
  gradCam(): GradCam {
    const toConv = tfl.model({ inputs: this.model.inputs, outputs: this.model.getLayer(this.convLayer).output as tfl.SymbolicTensor });
    return new GradCam(this.model, this.convLayer, toConv);
  }

  dispose(): void {
    this.model.dispose();
  }
}

export async function loadInterpretModel(dir: string): Promise<InterpretModel> {
  const { model, metadata } = await loadLearner(dir);
  const names = model.layers.map((l) => l.name);
  const bodyOutput = (metadata as ExportMetadata & { bodyOutput?: string }).bodyOutput;
  // Global average pooling: the embedding that separates "not this subject" best (max pooling adds noise).
  const featureLayer = names.includes('pool_avg') ? 'pool_avg' : names.includes('pool_concat') ? 'pool_concat' : undefined;
  const convs = model.layers.filter((l) => (l.outputShape as number[]).length === 4);
  const conv = bodyOutput && names.includes(bodyOutput) ? bodyOutput : convs[convs.length - 1]?.name;
  if (!featureLayer || !conv) {
    model.dispose();
    throw new Error(`${dir}: the model has no pooled body output (pool_concat) to take features from; export it with @bears/learner`);
  }
  return new InterpretModel(model, metadata, path.resolve(dir), featureLayer, conv);
}

/** Decodes one file with sharp for the pixel-level checks: full-size pixel hash, thumbnail facts, pHash. */
export async function factsOfFile(file: string): Promise<ImageFacts> {
  const bytes = await readImageBytesChecked(file);
  try {
    const base = () => sharp(bytes, { failOn: 'warning' }).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha();
    const full = await base().raw().toBuffer({ resolveWithObject: true });
    const fullRgb = { data: new Uint8Array(full.data.buffer, full.data.byteOffset, full.data.byteLength), width: full.info.width, height: full.info.height };
    const hash = pixelHash(fullRgb);
    const rawOpts = { raw: { width: full.info.width, height: full.info.height, channels: 3 as const } };
    const thumb = await sharp(full.data, rawOpts).resize(128, 128, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
    const g = await sharp(full.data, rawOpts).resize(32, 32, { fit: 'fill' }).greyscale().raw().toBuffer();
    const facts = imageFacts({ data: new Uint8Array(thumb.data), width: thumb.info.width, height: thumb.info.height }, fullRgb, hash);
    return { ...facts, phash: perceptualHash(new Uint8Array(g)) };
  } catch (err) {
    if (err instanceof ImageLoadError) throw err;
    throw new ImageLoadError(file, `corrupt or truncated image data (${(err as Error).message})`, { cause: err });
  }
}

/**
 * getPreds over a folder's items: probabilities, losses, pooled features (one body pass per
 * image) and the pixel facts. Any unreadable image throws ImageLoadError naming it.
 */
export async function predsForItems(model: InterpretModel, items: FolderItem[], options: { batchSize?: number; onProgress?: OnProgress } = {}): Promise<{ preds: Preds; facts: ImageFacts[] }> {
  const bs = options.batchSize ?? 16;
  const c = model.classes.length;
  const s = model.inputSize;
  const n = items.length;
  const probs = new Float32Array(n * c);
  const targets = new Int32Array(n);
  const losses = new Float32Array(n);
  let features: Float32Array | undefined;
  let featureDim = 0;
  const facts: ImageFacts[] = [];
  const batch = new Float32Array(bs * s * s * 3);
  for (let start = 0; start < n; start += bs) {
    const chunk = items.slice(start, start + bs);
    await Promise.all(chunk.map((it, i) => model.prepare(it.path, batch, i * s * s * 3)));
    facts.push(...(await Promise.all(chunk.map((it) => factsOfFile(it.path)))));
    const r = model.run(batch, chunk.length);
    featureDim = r.featureDim;
    features ??= new Float32Array(n * featureDim);
    features.set(r.features, start * featureDim);
    probs.set(r.probs, start * c);
    chunk.forEach((it, i) => {
      const t = model.classes.indexOf(it.label);
      targets[start + i] = t;
      losses[start + i] = -Math.log(Math.max(1e-7, r.probs[i * c + t]!));
    });
    options.onProgress?.({ phase: 'features', done: Math.min(n, start + bs), total: n });
  }
  return {
    preds: {
      items: items.map((it) => ({ id: it.id, label: it.label, split: it.split })),
      classes: model.classes, probs, targets, losses, features: features ?? new Float32Array(0), featureDim,
    },
    facts,
  };
}

/** Reads a file, naming it when it is missing, empty or not an image. */
async function readImageBytesChecked(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ImageLoadError(file, `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  if (bytes.length === 0) throw new ImageLoadError(file, 'empty file (0 bytes)');
  if (!sniffImageType(bytes)) throw new ImageLoadError(file, 'not an image (unknown file signature)');
  return bytes;
}
