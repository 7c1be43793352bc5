import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LearnerError, ModelFileError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { sha256 } from './hash.js';
import { predictImages, type ImageInput, type Prediction } from './inference.js';
import { parseModelJson, toArtifacts } from './model-files.js';
import { predictTta, type TtaOptions } from './tta.js';
import type { Normalization } from './normalization.js';
import type { ValidResize } from '@bears/data';
import { EXPORT_FORMAT_VERSION, LIBRARY_VERSION } from './version.js';
import type { Learner } from './learner.js';

/** metadata.json of an exported model folder. */
export interface ExportMetadata {
  format: 'bears-learner';
  formatVersion: number;
  library: '@bears/learner';
  libraryVersion: string;
  arch: string;
  /** Class names in training order: output index i is classes[i]. */
  classes: string[];
  inputSize: number;
  normalize: Normalization;
  /** How predict fits a photo to the square input, as validation did (absent in older exports: 'crop'). */
  resize?: ValidResize;
  /** The model outputs softmax probabilities. */
  output: 'probabilities';
  createdAt: string;
  /** Last epoch's validation figures, if trained. */
  validation?: { loss: number; metrics: Record<string, number> };
  /** sha256 of each file of the folder. */
  files: Record<string, string>;
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const buf = Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  return new Uint8Array(buf);
}

/** Writes model.json + weights.bin (a standard tfjs layers model) and metadata.json; metadata goes last. */
export async function exportLearner(learner: Learner, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await learner.inferenceModel().save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new LearnerError('export: tfjs produced no model artifacts');
  const weights = weightBytes(artifacts.weightData);
  const modelJson = new TextEncoder().encode(
    JSON.stringify({
      format: 'layers-model',
      generatedBy: `@bears/learner ${LIBRARY_VERSION}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    }),
  );
  const last = learner.recorder.epochs[learner.recorder.epochs.length - 1];
  const metadata: ExportMetadata = {
    format: 'bears-learner',
    formatVersion: EXPORT_FORMAT_VERSION,
    library: '@bears/learner',
    libraryVersion: LIBRARY_VERSION,
    arch: learner.body.arch.name,
    classes: learner.classes,
    inputSize: learner.inputSize,
    normalize: learner.normalize,
    resize: learner.validResize,
    output: 'probabilities',
    createdAt: new Date().toISOString(),
    ...(last ? { validation: { loss: last.validLoss, metrics: last.metrics } } : {}),
    files: { 'model.json': sha256(modelJson), 'weights.bin': sha256(weights) },
  };
  await writeFileAtomic(path.join(dir, 'weights.bin'), weights);
  await writeFileAtomic(path.join(dir, 'model.json'), modelJson);
  await writeFileAtomic(path.join(dir, 'metadata.json'), JSON.stringify(metadata, null, 2));
  return dir;
}

/** An exported classifier loaded for inference (any backend). */
export class ExportedLearner {
  constructor(
    readonly model: tfl.LayersModel,
    readonly metadata: ExportMetadata,
  ) {}

  get classes(): string[] {
    return this.metadata.classes;
  }

  get inputSize(): number {
    return this.metadata.inputSize;
  }

  /** `tta`: true or options for test-time augmentation (fastai's tta: the plain view mixed with 4 augmented views). */
  async predict(image: ImageInput, options: { tta?: boolean | TtaOptions } = {}): Promise<Prediction> {
    return (await this.predictBatch([image], options))[0]!;
  }

  async predictBatch(images: ImageInput[], options: { batchSize?: number; tta?: boolean | TtaOptions } = {}): Promise<Prediction[]> {
    const ctx = { classes: this.classes, inputSize: this.inputSize, normalize: this.metadata.normalize, resize: this.metadata.resize ?? 'crop' } as const;
    if (options.tta) return predictTta(this.model, images, ctx, options.tta === true ? {} : options.tta);
    return predictImages(this.model, images, { ...ctx, batchSize: options.batchSize });
  }

  dispose(): void {
    this.model.dispose();
  }
}

async function readRequired(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ModelFileError(file, `is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is this a folder written by learner.export()?`, { cause: err });
  }
}

/** Loads a folder written by export(): checks format version and every file's checksum, then builds the model. */
export async function loadLearner(dir: string): Promise<ExportedLearner> {
  const metaPath = path.join(dir, 'metadata.json');
  const metaBytes = await readRequired(metaPath);
  let meta: ExportMetadata;
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes)) as ExportMetadata;
  } catch (err) {
    throw new ModelFileError(metaPath, `is not valid JSON (${(err as Error).message}): the file is corrupt`, { cause: err });
  }
  if (meta?.format !== 'bears-learner') throw new ModelFileError(metaPath, `is not a Bears model export (format '${String(meta?.format)}')`);
  if (typeof meta.formatVersion !== 'number' || meta.formatVersion > EXPORT_FORMAT_VERSION || meta.formatVersion < 1) {
    throw new ModelFileError(
      metaPath,
      `has export format version ${String(meta.formatVersion)} (written by @bears/learner ${meta.libraryVersion}); this @bears/learner ${LIBRARY_VERSION} reads format ${EXPORT_FORMAT_VERSION}: use a matching version`,
    );
  }
  if (!Array.isArray(meta.classes) || meta.classes.length < 2 || !meta.inputSize || !meta.normalize || !meta.files) {
    throw new ModelFileError(metaPath, 'lacks classes, inputSize, normalize or files: the file is corrupt');
  }
  const bytes: Record<string, Uint8Array> = {};
  for (const [file, expected] of Object.entries(meta.files)) {
    const p = path.join(dir, file);
    bytes[file] = await readRequired(p);
    if (sha256(bytes[file]!) !== expected) throw new ModelFileError(p, 'sha256 does not match metadata.json: the file is corrupt or was modified');
  }
  const mjPath = path.join(dir, 'model.json');
  const mj = parseModelJson(new TextDecoder().decode(bytes['model.json'] ?? (await readRequired(mjPath))), mjPath);
  const shards = await Promise.all(mj.weightsManifest.flatMap((g) => g.paths).map((p) => bytes[p] ?? readRequired(path.join(dir, p))));
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory(toArtifacts(mj, shards)));
  } catch (err) {
    throw new ModelFileError(mjPath, `could not be loaded as a layers model: ${(err as Error).message}`, { cause: err });
  }
  const outUnits = (model.outputs[0]!.shape as number[])[1];
  if (outUnits !== meta.classes.length) {
    model.dispose();
    throw new ModelFileError(metaPath, `lists ${meta.classes.length} classes but the model outputs ${outUnits}`);
  }
  return new ExportedLearner(model, meta);
}
