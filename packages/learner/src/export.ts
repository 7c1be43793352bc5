import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ActiveBackend, ImageCodec } from '@bears/backend';
import type { ValidResize } from '@bears/data';
import { LearnerError, ModelFileError } from './errors.js';
import { inferenceForward } from './forward.js';
import type { LearnerData } from './feature-cache.js';
import { sha256 } from './hash.js';
import { concatPool } from './head.js';
import { codecOf, inputFor, predictImages, runPrepared, toPredictions, type ImageInput, type Prediction, type RunPrepared } from './inference.js';
import { workersWanted, startInference } from './inference-workers.js';
import type { InferencePool } from './node/parallel-infer.js';
import { fetchBytes, parseModelJson, toArtifacts } from './model-files.js';
import type { Normalization } from './normalization.js';
import { collectPreds, type GetPredsOptions, type Preds } from './preds.js';
import { predictTta, type TtaOptions } from './tta.js';
import { EXPORT_FORMAT_VERSION, LIBRARY_VERSION } from './version.js';

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
  /** The layer whose output is the body's feature map (the head pools it); absent in older exports. */
  bodyOutput?: string;
  /** The model outputs softmax probabilities. */
  output: 'probabilities';
  createdAt: string;
  /** Last epoch's validation figures, if trained. */
  validation?: { loss: number; metrics: Record<string, number> };
  /** sha256 of each file of the folder. */
  files: Record<string, string>;
}

/** What an export needs from a learner (an interface, so this module does not import the Learner). */
export interface Exportable {
  inferenceModel(): tfl.LayersModel;
  readonly body: { arch: { name: string }; model: tfl.LayersModel };
  readonly classes: string[];
  readonly inputSize: number;
  readonly normalize: Normalization;
  readonly validResize: ValidResize;
  readonly recorder: { epochs: Array<{ validLoss: number; metrics: Record<string, number> }> };
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const buf = Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  return new Uint8Array(buf);
}

/**
 * The export as a map of file name to bytes, in any runtime: model.json + weights.bin (a standard
 * tfjs layers model) and metadata.json with the sha256 of each (Web Crypto). Write metadata.json last.
 */
export async function exportToFiles(learner: Exportable): Promise<Record<string, Uint8Array>> {
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
  const bodyOut = learner.body.model.outputs[0] as tfl.SymbolicTensor;
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
    bodyOutput: bodyOut.sourceLayer.name,
    output: 'probabilities',
    createdAt: new Date().toISOString(),
    ...(last ? { validation: { loss: last.validLoss, metrics: last.metrics } } : {}),
    files: { 'model.json': await sha256(modelJson), 'weights.bin': await sha256(weights) },
  };
  return {
    'model.json': modelJson,
    'weights.bin': weights,
    'metadata.json': new TextEncoder().encode(JSON.stringify(metadata, null, 2)),
  };
}

export interface LoadExportOptions {
  /** The active backend: its codec decodes images (default: the runtime's codec). */
  backend?: ActiveBackend;
  /** Names files in errors (a folder path, say); default: the URL or 'files'. */
  where?: string;
  /**
   * predictBatch over more than one batch, in Node on wasm: worker_threads copies of the model (each its own
   * one-thread wasm backend) that split every batch; the same predictions. Given, the first such call starts
   * them; by default a call of 256 images or more starts them in the background (its batches run here until
   * they are up), or startInferenceWorkers() does; they stay until dispose(). Default: the wasm backend's
   * threads, capped by free memory; 1 keeps predictBatch on the backend's own threads.
   */
  inferenceWorkers?: number;
}

/** predictBatch calls this long start the inference workers by default (see LoadExportOptions.inferenceWorkers). */
const AUTO_START_IMAGES = 256;

/** An exported classifier loaded for inference, in any runtime and on any backend. */
export class ExportedModel {
  private featureModel?: tfl.LayersModel;
  private codecPromise?: Promise<ImageCodec>;

  /** The worker copies while they work: unset again by the first failure of either road to them. */
  private pool?: InferencePool;
  private poolStart?: Promise<void>;
  private disposed = false;

  constructor(
    readonly model: tfl.LayersModel,
    readonly metadata: ExportMetadata,
    private readonly backend?: ActiveBackend,
    private readonly inferenceWorkers?: number,
  ) {}

  get classes(): string[] {
    return this.metadata.classes;
  }

  get inputSize(): number {
    return this.metadata.inputSize;
  }

  /** How inputs are prepared: size, normalization and fit, as validation did. */
  get input(): { inputSize: number; normalize: Normalization; resize: ValidResize } {
    return { inputSize: this.inputSize, normalize: this.metadata.normalize, resize: this.metadata.resize ?? 'crop' };
  }

  private codec(): Promise<ImageCodec> {
    this.codecPromise ??= codecOf(this.backend);
    return this.codecPromise;
  }

  /** `tta`: true or options for test-time augmentation (fastai's tta: the plain view mixed with 4 augmented views). */
  async predict(image: ImageInput, options: { tta?: boolean | TtaOptions } = {}): Promise<Prediction> {
    return (await this.predictBatch([image], options))[0]!;
  }

  async predictBatch(images: ImageInput[], options: { batchSize?: number; tta?: boolean | TtaOptions } = {}): Promise<Prediction[]> {
    const ctx = { ...this.input, classes: this.classes, codec: await this.codec(), fuse: this.fuse };
    // tta: each photo's views are one batch, on the workers once they have been started.
    if (options.tta) return predictTta(this.model, images, { ...ctx, ...(this.poolStart ? { run: this.runOnPool } : {}) }, options.tta === true ? {} : options.tta);
    // One batch is not worth a round trip to the workers.
    const severalBatches = Array.isArray(images) && images.length > (options.batchSize ?? 16);
    if (severalBatches) {
      // Asked for by name: started by the first such call, which waits for them (and their error).
      // By default a call of AUTO_START_IMAGES or more starts them in the background (its batches go
      // to them once they are up); starting costs about as much as they save on ~200 images.
      if (this.inferenceWorkers !== undefined) await this.startWorkers();
      else if (images.length >= AUTO_START_IMAGES) void this.startWorkers();
    }
    // Once the copies are up, each batch's shares stream to them; while they start, batches run here.
    const lanes = severalBatches && this.pool ? { run: this.runLane, count: this.pool.workers } : undefined;
    const run = severalBatches && this.poolStart && !lanes ? this.runOnPool : undefined;
    return predictImages(this.model, images, { ...ctx, batchSize: options.batchSize, ...(lanes ? { lanes } : run ? { run } : {}) });
  }

  /**
   * Starts predictBatch's worker copies now, rather than in the background of the first call over
   * several batches; resolves with how many run (0 where there are none: one thread, not Node, not
   * wasm, or memory for fewer than 2).
   */
  async startInferenceWorkers(): Promise<number> {
    await this.startWorkers();
    return this.pool?.workers ?? 0;
  }

  /** On wasm the frozen batch norm + relu6 pairs run folded (fusedInference), here and on the workers. */
  private get fuse(): boolean {
    return this.backend?.name === 'wasm';
  }

  /** The forward on this thread. */
  private readonly runHere: RunPrepared = (batch, n) => runPrepared(this.model, batch, n, this.inputSize, this.fuse);

  /**
   * `there` on the workers while they work, else on this thread. The first failure of either road
   * (a whole batch or one lane's share) closes the pool for both: a worker that dies costs speed,
   * not the run, and no later call waits on the copies that are left.
   */
  private async onPool(there: (p: InferencePool) => Promise<Float32Array>, batch: Float32Array, n: number): Promise<Float32Array> {
    const pool = this.pool;
    if (pool) {
      try {
        return await there(pool);
      } catch {
        if (this.pool === pool) {
          this.pool = undefined;
          void pool.close().catch(() => {});
        }
      }
    }
    return this.runHere(batch, n);
  }

  /** A batch split across the workers once they are up, on this thread until then. */
  private readonly runOnPool: RunPrepared = (batch, n) => this.onPool((p) => p.run(batch, n, [this.inputSize, this.inputSize, 3]), batch, n);

  /** One share of a batch on the first copy free (predictBatch streams its shares). */
  private readonly runLane: RunPrepared = (batch, n) => this.onPool((p) => p.runOne(batch, n, [this.inputSize, this.inputSize, 3]), batch, n);

  /** Starts the inference pool once (kept until dispose or its first failure). */
  private startWorkers(): Promise<void> {
    this.poolStart ??= startInference(this.model, workersWanted(this.inferenceWorkers, this.backend), this.inferenceWorkers !== undefined, {
      fuse: this.fuse, what: 'predictBatch', backend: this.backend,
    }).then(
      (pool) => {
        if (!pool) return;
        if (this.disposed) return void pool.close();
        this.pool = pool;
      },
      (err: unknown) => {
        this.poolStart = undefined;
        throw err;
      },
    );
    return this.poolStart;
  }

  /** One input as model input floats (size*size*3): what predict feeds the model; for micro-batching. */
  async prepare(image: ImageInput): Promise<Float32Array> {
    return inputFor(image, this.input, await this.codec());
  }

  /** Predictions for n inputs already prepared (n*size*size*3 floats, e.g. from prepare()). */
  async predictPrepared(batch: Float32Array, n: number): Promise<Prediction[]> {
    return toPredictions(await runPrepared(this.model, batch, n, this.inputSize), this.classes.length, this.classes);
  }

  private features4(): tfl.LayersModel {
    if (!this.featureModel) {
      const name = this.metadata.bodyOutput;
      let layer: tfl.layers.Layer | undefined;
      try {
        layer = name ? this.model.getLayer(name) : (this.model.getLayer('pool_max').inboundNodes[0]?.inboundLayers[0] as tfl.layers.Layer | undefined);
      } catch {
        layer = undefined;
      }
      if (!layer) throw new LearnerError(`this export does not say where its body ends (metadata.bodyOutput '${String(name)}' not found); export it again with this version`);
      this.featureModel = tfl.model({ inputs: this.model.inputs, outputs: [layer.output as tfl.SymbolicTensor, this.model.outputs[0]!] });
    }
    return this.featureModel;
  }

  /** Pooled body features (concat pool, n x featureDim) of the inputs. */
  async features(images: ImageInput[]): Promise<{ features: Float32Array; featureDim: number }> {
    const per = this.inputSize * this.inputSize * 3;
    const batch = new Float32Array(images.length * per);
    for (const [i, im] of images.entries()) batch.set(await this.prepare(im), i * per);
    const f = tf.tidy(() => {
      const [map] = inferenceForward(this.features4(), tf.tensor4d(batch, [images.length, this.inputSize, this.inputSize, 3])) as tf.Tensor[];
      return concatPool(map as tf.Tensor4D);
    });
    try {
      return { features: (await f.data()) as Float32Array, featureDim: f.shape[1] };
    } finally {
      f.dispose();
    }
  }

  /** Per-item predictions over a dataset (an @bears/data ImageDataset), in dataset order. */
  async getPreds(dataset: LearnerData, options: GetPredsOptions = {}): Promise<Preds> {
    const fm = options.withFeatures ? this.features4() : undefined;
    return collectPreds(
      dataset,
      this.classes,
      (x, withFeatures) => {
        if (!withFeatures || !fm) return { probs: inferenceForward(this.model, x) as tf.Tensor2D };
        const [map, probs] = inferenceForward(fm, x) as tf.Tensor[];
        return { probs: probs as tf.Tensor2D, features: concatPool(map as tf.Tensor4D) };
      },
      { size: this.inputSize, normalize: this.metadata.normalize, resize: this.metadata.resize ?? 'crop', codec: await this.codec() },
      options,
    );
  }

  dispose(): void {
    this.disposed = true;
    void this.pool?.close();
    this.pool = undefined;
    this.model.dispose();
  }
}

/** @deprecated the old name of ExportedModel. */
export const ExportedLearner = ExportedModel;
export type ExportedLearner = ExportedModel;

function decodeJson<T>(bytes: Uint8Array, where: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (err) {
    throw new ModelFileError(where, `is not valid JSON (${(err as Error).message}): the file is corrupt`, { cause: err });
  }
}

/** Checks metadata.json's format, version and required fields. */
export function checkMetadata(meta: ExportMetadata, where: string): ExportMetadata {
  if (meta?.format !== 'bears-learner') throw new ModelFileError(where, `is not a Bears model export (format '${String(meta?.format)}')`);
  if (typeof meta.formatVersion !== 'number' || meta.formatVersion > EXPORT_FORMAT_VERSION || meta.formatVersion < 1) {
    throw new ModelFileError(
      where,
      `has export format version ${String(meta.formatVersion)} (written by @bears/learner ${meta.libraryVersion}); this @bears/learner ${LIBRARY_VERSION} reads format ${EXPORT_FORMAT_VERSION}: use a matching version`,
    );
  }
  if (!Array.isArray(meta.classes) || meta.classes.length < 2 || !meta.inputSize || !meta.normalize || !meta.files) {
    throw new ModelFileError(where, 'lacks classes, inputSize, normalize or files: the file is corrupt');
  }
  return meta;
}

/**
 * Loads an export in any runtime, from a map of file name to bytes or from the URL of its folder
 * (fetch). Checks the format version and every file's sha256 (Web Crypto) before building the model.
 * In Node, loadLearner(dir) from '@bears/learner/node' reads a folder.
 */
export async function loadExport(source: { files: Record<string, Uint8Array> } | string, options: LoadExportOptions = {}): Promise<ExportedModel> {
  const base = typeof source === 'string' ? source.replace(/\/?$/, '/') : undefined;
  const where = (f: string) => (options.where ? `${options.where.replace(/\/?$/, '/')}${f}` : base ? new URL(f, base).href : f);
  const files: Record<string, Uint8Array> = typeof source === 'string' ? {} : { ...source.files };
  const get = async (f: string): Promise<Uint8Array> => {
    if (files[f]) return files[f]!;
    if (!base) throw new ModelFileError(where(f), 'is missing; is this an export written by learner.export() / exportToFiles()?');
    files[f] = await fetchBytes(new URL(f, base).href);
    return files[f]!;
  };
  const meta = checkMetadata(decodeJson<ExportMetadata>(await get('metadata.json'), where('metadata.json')), where('metadata.json'));
  for (const [file, expected] of Object.entries(meta.files)) {
    if ((await sha256(await get(file))) !== expected) throw new ModelFileError(where(file), 'sha256 does not match metadata.json: the file is corrupt or was modified');
  }
  const mj = parseModelJson(new TextDecoder().decode(await get('model.json')), where('model.json'));
  const shards = await Promise.all(mj.weightsManifest.flatMap((g) => g.paths).map((p) => get(p)));
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory(toArtifacts(mj, shards)));
  } catch (err) {
    throw new ModelFileError(where('model.json'), `could not be loaded as a layers model: ${(err as Error).message}`, { cause: err });
  }
  const outUnits = (model.outputs[0]!.shape as number[])[1];
  if (outUnits !== meta.classes.length) {
    model.dispose();
    throw new ModelFileError(where('metadata.json'), `lists ${meta.classes.length} classes but the model outputs ${outUnits}`);
  }
  return new ExportedModel(model, meta, options.backend, options.inferenceWorkers);
}
