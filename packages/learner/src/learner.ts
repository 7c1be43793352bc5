import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { activeBackend, detectRuntime, type ActiveBackend, type ImageCodec } from '@bears/backend';
import { isValidResize, type ValidResize } from '@bears/data';
import { AdamW, lrFind as sgdLrFind, oneCycle, type LrFindResult, type OptimizerState } from '@bears/sgd';
import { loadBody, type ArchSpec, type Body, type ModelReader } from './archs.js';
import type { Callback, FitEvent } from './callbacks.js';
import { LearnerError } from './errors.js';
import { concatPool, createHead, type HeadOptions } from './head.js';
import { crossEntropy, errorRate, type Metric } from './metrics.js';
import type { Normalization } from './normalization.js';
import { formatHeader, formatRow, Recorder, type EpochRecord } from './recorder.js';
import { lineChartSvg, svgToPng } from './plot.js';
import { FeatureCache, type LearnerData } from './feature-cache.js';
import { planPhysicalBatch, type BatchPlan } from './memory.js';
import { buildInferenceModel, codecOf, predictImages, type Prediction, type ImageInput } from './inference.js';
import type { FitState } from './fit-state.js';
import { collectPreds, type GetPredsOptions, type OnProgress, type Preds } from './preds.js';

/** The Node-only part (checkpoints and export folders), by a specifier bundlers do not follow. */
async function nodePart(what: string): Promise<typeof import('./node.js')> {
  if (detectRuntime() !== 'node') throw new LearnerError(`${what} writes folders, which needs Node; in browsers use exportToFiles(learner)`);
  const spec = './node.js';
  return (await import(/* @vite-ignore */ spec)) as typeof import('./node.js');
}

export interface CnnLearnerOptions {
  /**
   * The started backend (from useBackend()): its codec decodes every image and its capabilities set
   * the memory budget. Default: the one useBackend() started last.
   */
  backend?: ActiveBackend;
  /** How pretrained model files are read (default: Node's disk cache in Node, fetch elsewhere). */
  readModel?: ModelReader;
  /** Registered arch name ('mobilenet_v1_0.75', 'darknet_tiny', 'resnet18/34/50') or a spec (customArch()). */
  arch?: string | ArchSpec;
  /** true: ImageNet weights; false: random init; a string: folder/URL of a layers model.json to start from. */
  pretrained?: boolean | string;
  /** Folder or URL of the pretrained weights (a layers model.json): the same as `pretrained: '<folder|URL>'`. */
  weights?: string;
  /** Validation metrics, fastai style. Default [errorRate]. */
  metrics?: Metric[];
  /** Input size; defaults to the dataset's size, else the arch's. */
  size?: number;
  /**
   * How validation and predict fit a photo to the square input: 'squish' (default: the whole photo,
   * aspect ratio changed), 'crop' (centre crop, fastai's Resize default) or 'pad'. Web photos of bears
   * are often wide with the bear off-centre; a centre crop cuts it off (see the README's figures).
   * Training batches are augmented with random resized crops either way.
   */
  validResize?: ValidResize;
  /** Logical batch size (default 64, fastai's). */
  batchSize?: number;
  /** Decoupled weight decay (AdamW, default 0.01). */
  wd?: number;
  /** Frozen training on cached body activations (default true). */
  featureCache?: boolean;
  /** Augmented views cached per training image, cycled per epoch (default 2; each costs one body forward per image). */
  cacheViews?: number;
  /** Where save()/load() keep checkpoints (default './models'). */
  modelDir?: string;
  /** Download cache for pretrained weights (default $BEARS_CACHE/models or ~/.cache/bears/models). */
  cacheDir?: string;
  callbacks?: Callback[];
  /** Where the table and notices go (default console.log). Pass () => {} to silence. */
  log?: (line: string) => void;
  /** Stop when the loss explodes, saying the learning rate is too high (default true). */
  stopOnDivergence?: boolean;
  /**
   * Body batch norm while the body trains: 'frozen' keeps the pretrained running statistics (inference mode,
   * exact under gradient accumulation; default for pretrained bodies), 'batch' uses batch statistics
   * (default for bodies trained from scratch).
   */
  bodyBn?: 'frozen' | 'batch';
  /** Force the physical (micro-)batch size of body training; default: planned from the memory budget. */
  physicalBatchSize?: number;
  /** Memory budget for one training step in bytes (default: the backend's capabilities.memoryBudgetBytes; wasm: 1.25 GB). */
  memoryBudgetBytes?: number;
  head?: HeadOptions;
  seed?: number;
  /** Data loader decode concurrency. */
  concurrency?: number;
}

export interface FitOptions {
  /** Save a checkpoint under this name after every epoch. */
  checkpoint?: string;
  /** Resume from this checkpoint if it holds an unfinished run of the same fit (epochs, lr). */
  resume?: string;
  callbacks?: Callback[];
  /** One-cycle warm-up fraction (default 0.3, fastai v1's, the lesson's library). */
  pctStart?: number;
}

export interface FitResult {
  epochs: EpochRecord[];
  /** Why training ended early, if it did. */
  stopped?: string;
}

export interface ValidationResult {
  loss: number;
  metrics: Record<string, number>;
}

export interface LrFindOutcome extends LrFindResult {
  /** The suggested learning rate (fastai v2's valley), or null if too few points. */
  suggestion: number | null;
  /** The sweep with the suggestions marked, as PNG. */
  plot(): Promise<Uint8Array>;
}

/** fastai v1's default maximum learning rate (defaults.lr = 3e-3), what the lesson's fit_one_cycle(4) used. */
export const DEFAULT_LR = 3e-3;

/** fastai's even_mults: n values geometrically spaced from lo to hi. */
export function evenMults(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [hi];
  const step = (hi / lo) ** (1 / (n - 1));
  return Array.from({ length: n }, (_, i) => lo * step ** i);
}

function resolveLrs(lr: number | [number, number], groups: number): number[] {
  if (typeof lr === 'number') {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new LearnerError(`learning rate must be a positive number, got ${lr}`);
    return Array(groups).fill(lr);
  }
  if (!Array.isArray(lr) || lr.length !== 2 || !(lr[0] > 0) || !(lr[1] >= lr[0])) {
    throw new LearnerError(`learning rate range must be [lo, hi] with 0 < lo <= hi, got ${JSON.stringify(lr)}`);
  }
  return evenMults(lr[0], lr[1], groups);
}

/** A batch the training loop consumes: either images or cached pooled features. */
interface TrainBatch {
  x: tf.Tensor;
  y: tf.Tensor1D;
  features: boolean;
}

/**
 * A CNN learner: pretrained body + fastai head, layer groups, freeze/unfreeze, one-cycle training with
 * AdamW, lrFind, a recorder, checkpoints, export and predict.
 */
export class Learner {
  readonly body: Body;
  readonly head: tfl.Sequential;
  readonly classes: string[];
  readonly inputSize: number;
  readonly normalize: Normalization;
  readonly validResize: ValidResize;
  readonly metrics: Metric[];
  recorder = new Recorder();
  readonly options: Required<Pick<CnnLearnerOptions, 'batchSize' | 'wd' | 'featureCache' | 'cacheViews' | 'modelDir' | 'stopOnDivergence'>> & CnnLearnerOptions;
  /** Epochs trained so far (all fits), mixed into the loader's shuffle/augmentation seeds. */
  epochsTrained = 0;
  private frozen = true;
  private optimizer?: AdamW;
  private cache?: FeatureCache;
  /** Bumped whenever body weights change, so cached activations are never stale. */
  private bodyVersion = 0;
  private plan?: BatchPlan;
  /** True while the current step runs as several micro-batches. */
  private accumulating = false;
  private inference?: tfl.LayersModel;
  private fitState?: FitState;
  private readonly groupVars: [tf.Variable[], tf.Variable[], tf.Variable[]];
  private readonly log: (line: string) => void;
  /** The backend handed over (or started last): decodes images, sets the memory budget. */
  readonly backend?: ActiveBackend;
  private codecPromise?: Promise<ImageCodec>;

  constructor(
    readonly data: LearnerData,
    body: Body,
    options: CnnLearnerOptions = {},
  ) {
    this.body = body;
    this.classes = [...data.classes];
    this.inputSize = body.inputSize;
    this.normalize = body.arch.normalize;
    this.validResize = options.validResize ?? 'squish';
    if (!isValidResize(this.validResize)) throw new LearnerError(`validResize must be 'crop', 'squish' or 'pad', got ${String(this.validResize)}`);
    this.metrics = options.metrics ?? [errorRate];
    this.options = { batchSize: 64, wd: 1e-2, featureCache: true, cacheViews: 2, modelDir: 'models', stopOnDivergence: true, ...options };
    this.log = options.log ?? ((l) => console.log(l));
    this.backend = options.backend ?? activeBackend();
    this.head = createHead(body.channels * 2, this.classes.length, { seed: options.seed, ...options.head });
    const vars = (layers: tfl.layers.Layer[]) => layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    this.groupVars = [vars(body.groups[0]), vars(body.groups[1]), vars(this.head.layers)];
    this.recorder.metricNames = this.metrics.map((m) => m.name);
    this.freeze();
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Parameter groups: [body group 1, body group 2, head]. */
  get layerGroups(): tf.Variable[][] {
    return this.groupVars;
  }

  metricHigherIsBetter(name: string): boolean {
    return this.metrics.find((m) => m.name === name)?.higherIsBetter ?? false;
  }

  /** Trains the head only; the body runs in inference mode (batch norm on its running statistics). */
  freeze(): void {
    for (const l of this.body.model.layers) l.trainable = false;
    this.frozen = true;
  }

  /** Trains the whole network. */
  unfreeze(): void {
    for (const l of this.body.model.layers) l.trainable = true;
    this.frozen = false;
  }

  private get bodyBnTraining(): boolean {
    return (this.options.bodyBn ?? (this.body.pretrained ? 'frozen' : 'batch')) === 'batch';
  }

  private getOptimizer(): AdamW {
    this.optimizer ??= new AdamW(
      [
        { params: this.groupVars[0], name: 'body1' },
        { params: this.groupVars[1], name: 'body2' },
        { params: this.groupVars[2], name: 'head' },
      ],
      { lr: 1e-3, wd: this.options.wd },
    );
    return this.optimizer;
  }

  private useCache(): boolean {
    return this.frozen && this.options.featureCache;
  }

  /** The codec every image of this learner is decoded with (training, validation, predict). */
  codec(): Promise<ImageCodec> {
    this.codecPromise ??= codecOf(this.backend);
    return this.codecPromise;
  }

  /** Computes (or reuses) the frozen body's activations for every image: K augmented views of train, one of valid. */
  async prepareFeatures(options: { onProgress?: OnProgress } = {}): Promise<FeatureCache> {
    if (this.cache && this.cache.bodyVersion === this.bodyVersion) return this.cache;
    this.cache?.dispose();
    const t0 = performance.now();
    this.cache = await FeatureCache.build(this.data, this.body.model, {
      views: this.options.cacheViews,
      size: this.inputSize,
      batchSize: Math.min(this.options.batchSize, 16),
      normalize: this.normalize,
      bodyVersion: this.bodyVersion,
      validResize: this.validResize,
      concurrency: this.options.concurrency,
      seed: this.options.seed,
      codec: await this.codec(),
      onProgress: options.onProgress,
    });
    this.log(
      `cached body activations: ${this.data.train.length} train images x ${this.cache.views} augmented view${this.cache.views > 1 ? 's' : ''} + ${this.data.valid.length} valid in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return this.cache;
  }

  /** Batches for one training epoch (cached features when frozen, else images). */
  private async *trainBatches(epochIndex: number): AsyncGenerator<TrainBatch> {
    const bs = this.options.batchSize;
    if (this.useCache()) {
      const cache = await this.prepareFeatures();
      for (const b of cache.trainBatches(epochIndex, bs, this.options.seed ?? 42)) yield { ...b, features: true };
      return;
    }
    const loader = this.data.loader('train', {
      batchSize: bs,
      size: this.inputSize,
      normalize: this.normalize,
      epoch: epochIndex,
      dropLast: this.data.train.length > bs,
      concurrency: this.options.concurrency,
      codec: await this.codec(),
      ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
    });
    for await (const b of loader) yield { x: b.x, y: b.y, features: false };
  }

  private trainBatchCount(): number {
    const n = this.data.train.length;
    const bs = this.options.batchSize;
    return n > bs ? Math.floor(n / bs) : 1;
  }

  /**
   * Forward to logits from images (body in inference mode unless its BN trains) or from pooled features.
   * While a batch is split into micro-batches, the head's batch norm also uses its running statistics:
   * statistics of 3 or 4 images are noise, and they would also make the accumulated step inexact.
   */
  private logits(x: tf.Tensor, features: boolean, training: boolean): tf.Tensor2D {
    const pooled = features ? x : concatPool(this.body.model.apply(x, { training: training && this.bodyBnTraining && !this.frozen }) as tf.Tensor4D);
    if (!training || !this.accumulating) return this.head.apply(pooled, { training }) as tf.Tensor2D;
    let h: tf.Tensor = pooled;
    for (const layer of this.head.layers) h = layer.apply(h, { training: layer.getClassName() !== 'BatchNormalization' }) as tf.Tensor;
    return h as tf.Tensor2D;
  }

  private trainableVars(): tf.Variable[] {
    return this.frozen ? this.groupVars[2] : this.groupVars.flat();
  }

  /** One optimizer step on a batch, splitting it into micro-batches (gradient accumulation) when memory requires. */
  private async trainStep(batch: TrainBatch): Promise<number> {
    const opt = this.getOptimizer();
    const vars = this.trainableVars();
    const n = batch.y.shape[0];
    let x = batch.x;
    let features = batch.features;
    if (!features && this.frozen) {
      // No cache: the frozen body still runs in inference mode, outside the gradient tape.
      x = tf.tidy(() => concatPool(this.body.model.apply(batch.x, { training: false }) as tf.Tensor4D));
      features = true;
    }
    const micro = features ? n : await this.physicalBatch(batch);
    this.accumulating = micro < n;
    let lossSum = 0;
    let acc: tf.NamedTensorMap | undefined;
    for (let start = 0; start < n; start += micro) {
      const size = Math.min(micro, n - start);
      const { value, grads } = tf.tidy(() => {
        const xs = size === n ? x : tf.slice(x, start, size);
        const ys = size === n ? batch.y : tf.slice(batch.y, start, size);
        return tf.variableGrads(() => tf.mul(crossEntropy(this.logits(xs, features, true), ys), size / n) as tf.Scalar, vars);
      });
      lossSum += (await value.data())[0]!;
      value.dispose();
      // A variable the loss does not reach gets a null gradient: leave it out.
      for (const k of Object.keys(grads)) if (!grads[k]) delete grads[k];
      if (!acc) acc = grads;
      else {
        for (const k of Object.keys(grads)) {
          const prev = acc[k];
          acc[k] = prev ? tf.add(prev, grads[k]!) : grads[k]!;
          if (prev) {
            prev.dispose();
            grads[k]!.dispose();
          }
        }
      }
    }
    if (x !== batch.x) x.dispose();
    opt.applyGradients(acc!);
    tf.dispose(Object.values(acc!));
    if (!this.frozen) this.bodyVersion++;
    return lossSum;
  }

  /** Plans the micro-batch for body training once per unfrozen state, and says so when it splits batches. */
  private async physicalBatch(batch: TrainBatch): Promise<number> {
    const n = batch.y.shape[0];
    if (this.options.physicalBatchSize) return Math.max(1, Math.min(n, this.options.physicalBatchSize));
    if (!this.plan || this.plan.logical !== this.options.batchSize) {
      this.plan = await planPhysicalBatch({
        logical: this.options.batchSize,
        budgetBytes: this.options.memoryBudgetBytes,
        capabilities: this.backend?.capabilities,
        backendName: this.backend?.name,
        probe: (k) => {
          const xs = tf.slice(batch.x, 0, Math.min(k, n));
          const ys = tf.slice(batch.y, 0, Math.min(k, n));
          const { value, grads } = tf.variableGrads(() => crossEntropy(this.logits(xs, false, true), ys), this.trainableVars());
          value.dispose();
          tf.dispose(Object.values(grads));
          xs.dispose();
          ys.dispose();
        },
      });
      if (this.plan.physical < this.plan.logical) this.log(this.plan.message);
    }
    return Math.min(n, this.plan.physical);
  }

  /** Loss and metrics on the validation set (body and head in inference mode). */
  async validate(): Promise<ValidationResult> {
    const logitsParts: tf.Tensor2D[] = [];
    const labelParts: tf.Tensor1D[] = [];
    if (this.useCache()) {
      const cache = await this.prepareFeatures();
      for (const b of cache.validBatches(256)) {
        logitsParts.push(tf.tidy(() => this.logits(b.x, true, false)));
        labelParts.push(b.y);
        b.x.dispose();
      }
    } else {
      const loader = this.data.loader('valid', { batchSize: Math.min(this.options.batchSize, 16), size: this.inputSize, normalize: this.normalize, validResize: this.validResize, concurrency: this.options.concurrency, codec: await this.codec() });
      for await (const b of loader) {
        logitsParts.push(tf.tidy(() => this.logits(b.x, false, false)));
        labelParts.push(tf.clone(b.y));
      }
    }
    if (logitsParts.length === 0) throw new LearnerError('the validation set is empty: create the dataset with validPct > 0 to get valid_loss and metrics');
    const logits = tf.concat(logitsParts, 0);
    const labels = tf.concat(labelParts, 0);
    tf.dispose([...logitsParts, ...labelParts]);
    const loss = tf.tidy(() => crossEntropy(logits, labels).dataSync()[0]!);
    const metrics: Record<string, number> = {};
    for (const m of this.metrics) metrics[m.name] = m.compute(logits, labels);
    logits.dispose();
    labels.dispose();
    return { loss, metrics };
  }

  private async emit(callbacks: Callback[], hook: keyof Omit<Callback, 'name'>, e: FitEvent): Promise<boolean> {
    let stop = false;
    for (const cb of callbacks) {
      const fn = cb[hook] as ((e: FitEvent) => unknown) | undefined;
      if (fn && (await fn.call(cb, e)) === 'stop') stop = true;
    }
    return stop;
  }

  /**
   * fastai's fit_one_cycle: AdamW with the one-cycle schedule (lr warm-up then cosine anneal, momentum
   * the other way). `lr` is one rate for every group or [lo, hi] spread over the three layer groups.
   */
  async fitOneCycle(epochs: number, lr: number | [number, number] = DEFAULT_LR, options: FitOptions = {}): Promise<FitResult> {
    if (!Number.isInteger(epochs) || epochs < 1) throw new LearnerError(`epochs must be a positive integer, got ${epochs}`);
    const lrs = resolveLrs(lr, 3);
    const batches = this.trainBatchCount();
    const totalSteps = epochs * batches;
    const schedule = oneCycle({ totalSteps, maxLr: lrs, pctStart: options.pctStart ?? 0.3, divFactor: 25, finalDivFactor: 1e4, moms: [0.95, 0.85, 0.95] });
    let startEpoch = 0;
    const fitKey = { kind: 'oneCycle' as const, epochs, lr, frozen: this.frozen };
    if (options.resume) {
      const st = await this.tryResume(options.resume, fitKey);
      if (st) {
        startEpoch = st.completedEpochs;
        this.log(`resuming from checkpoint '${options.resume}': ${startEpoch} of ${epochs} epochs already done`);
        if (startEpoch >= epochs) return { epochs: this.recorder.epochs.slice(-epochs) };
      }
    }
    const callbacks = [...(this.options.callbacks ?? []), ...(options.callbacks ?? [])];
    const opt = this.getOptimizer();
    const records: EpochRecord[] = [];
    let stopped: string | undefined;
    const base: FitEvent = { learner: this, epoch: startEpoch, epochs };
    if (this.useCache()) await this.prepareFeatures();
    this.log(formatHeader(this.recorder.metricNames));
    if (await this.emit(callbacks, 'onFitBegin', base)) stopped = 'stopped by a callback';
    let smoothed = 0;
    let bestSmoothed = Infinity;
    let count = 0;
    for (let epoch = startEpoch; epoch < epochs && !stopped; epoch++) {
      const t0 = performance.now();
      if (await this.emit(callbacks, 'onEpochBegin', { ...base, epoch })) {
        stopped = 'stopped by a callback';
        break;
      }
      let b = 0;
      for await (const batch of this.trainBatches(this.epochsTrained)) {
        const step = epoch * batches + Math.min(b, batches - 1);
        const hyper = schedule(step);
        opt.setLr(hyper.lr);
        opt.setMomentum(hyper.mom);
        let loss: number;
        try {
          loss = await this.trainStep(batch);
        } finally {
          if (batch.features) tf.dispose([batch.x, batch.y]);
        }
        // fastai's smoothed train loss (EMA 0.98, debiased), which its table prints.
        count++;
        smoothed = 0.98 * smoothed + 0.02 * loss;
        const debiased = smoothed / (1 - 0.98 ** count);
        this.recorder.recordStep(hyper.lr, hyper.mom, debiased);
        if (this.options.stopOnDivergence && (!Number.isFinite(loss) || (count > 10 && debiased > 4 * bestSmoothed))) {
          stopped = `training diverged at epoch ${epoch}, batch ${b} (loss ${loss.toFixed(4)}, best ${bestSmoothed.toFixed(4)}): the learning rate is too high (max ${Math.max(...hyper.lr).toExponential(1)}); try about a tenth of it, or run lrFind()`;
          break;
        }
        bestSmoothed = Math.min(bestSmoothed, debiased);
        if (await this.emit(callbacks, 'onBatchEnd', { ...base, epoch, batch: b, batches, loss, lrs: hyper.lr })) stopped = 'stopped by a callback';
        b++;
        if (stopped) break;
      }
      if (stopped && stopped.startsWith('training diverged')) break;
      const val = await this.validate();
      const record: EpochRecord = {
        epoch,
        trainLoss: this.recorder.losses[this.recorder.losses.length - 1] ?? NaN,
        validLoss: val.loss,
        metrics: val.metrics,
        time: (performance.now() - t0) / 1000,
      };
      this.recorder.recordEpoch(record);
      records.push(record);
      this.epochsTrained++;
      this.log(formatRow(record, this.recorder.metricNames));
      this.fitState = { ...fitKey, completedEpochs: epoch + 1 };
      if (options.checkpoint) await this.save(options.checkpoint);
      if (await this.emit(callbacks, 'onEpochEnd', { ...base, epoch, record })) stopped ??= 'stopped by a callback';
    }
    this.fitState = undefined;
    if (stopped) this.log(stopped);
    await this.emit(callbacks, 'onFitEnd', { ...base, stopped });
    return { epochs: records, ...(stopped ? { stopped } : {}) };
  }

  private async tryResume(name: string, key: Omit<FitState, 'completedEpochs'>): Promise<FitState | undefined> {
    let st: FitState | undefined;
    try {
      st = await (await nodePart('fitOneCycle({ resume })')).loadCheckpoint(this, name, { peekFitState: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!st || st.kind !== key.kind || st.epochs !== key.epochs || JSON.stringify(st.lr) !== JSON.stringify(key.lr) || st.frozen !== key.frozen) return undefined;
    await this.load(name);
    return st;
  }

  /**
   * The LR range test: trains with an exponentially growing learning rate (1e-7 to 10 over 100 batches),
   * stops when the loss explodes, restores the weights and optimizer, and suggests a learning rate.
   */
  async lrFind(options: { startLr?: number; endLr?: number; numIt?: number } = {}): Promise<LrFindOutcome> {
    const snapshot = this.snapshotWeights();
    const version = this.bodyVersion;
    const optState = this.optimizer ? await this.optimizer.getState() : undefined;
    const savedRecorder = this.recorder;
    this.recorder = new Recorder();
    let it: AsyncIterator<TrainBatch> | undefined;
    let epoch = this.epochsTrained;
    const nextBatch = async (): Promise<TrainBatch> => {
      for (;;) {
        it ??= this.trainBatches(epoch)[Symbol.asyncIterator]();
        const r = await it.next();
        if (!r.done) return r.value;
        it = undefined;
        epoch++;
      }
    };
    let result: LrFindResult;
    try {
      const opt = this.getOptimizer();
      result = await sgdLrFind(
        async (lr) => {
          opt.setLr(lr);
          opt.setMomentum(0.9);
          const batch = await nextBatch();
          try {
            return await this.trainStep(batch);
          } finally {
            if (batch.features) tf.dispose([batch.x, batch.y]);
          }
        },
        { startLr: options.startLr ?? 1e-7, endLr: options.endLr ?? 10, numIt: options.numIt ?? 100 },
      );
    } finally {
      await it?.return?.(undefined);
      this.restoreWeights(snapshot);
      if (this.optimizer) {
        if (optState) this.optimizer.setState(optState);
        else {
          this.optimizer.dispose();
          this.optimizer = undefined;
        }
      }
      this.recorder = savedRecorder;
      // The weights are back to what they were, so activations cached before the sweep are valid again.
      this.bodyVersion = version;
    }
    const suggestion = result.suggestions?.valley.lr ?? null;
    if (suggestion !== null) this.log(`lrFind: suggested lr ${suggestion.toExponential(2)} (valley; steepest ${result.suggestions!.steep.lr.toExponential(2)}, minimum/10 ${result.suggestions!.minimum.lr.toExponential(2)})`);
    return {
      ...result,
      suggestion,
      plot: () => {
        const s = result.suggestions;
        const marks = s
          ? [
              { x: s.valley.lr, y: s.valley.loss, label: `valley ${s.valley.lr.toExponential(1)}` },
              { x: s.steep.lr, y: s.steep.loss, label: `steep ${s.steep.lr.toExponential(1)}` },
            ]
          : [];
        return svgToPng(lineChartSvg([{ name: 'loss', x: result.lrs, y: result.losses }], { title: 'Learning rate finder', xLabel: 'learning rate (log)', yLabel: 'loss', logX: true, marks }));
      },
    };
  }

  /** Every weight (trainable or not: BN running stats too) by a stable name. */
  namedWeights(): Map<string, tfl.LayerVariable> {
    const map = new Map<string, tfl.LayerVariable>();
    for (const w of this.body.model.weights) map.set(`body/${w.originalName}`, w);
    for (const w of this.head.weights) map.set(`head/${w.originalName}`, w);
    return map;
  }

  /** Stable name of each tf.Variable (optimizer state uses tfjs's per-process unique names). */
  variableNames(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [name, w] of this.namedWeights()) m.set((w.read() as tf.Variable).name, name);
    return m;
  }

  private snapshotWeights(): Map<tfl.LayerVariable, tf.Tensor> {
    const snap = new Map<tfl.LayerVariable, tf.Tensor>();
    for (const w of this.namedWeights().values()) snap.set(w, tf.clone(w.read()));
    return snap;
  }

  private restoreWeights(snap: Map<tfl.LayerVariable, tf.Tensor>): void {
    for (const [w, t] of snap) {
      w.write(t);
      t.dispose();
    }
  }

  /** @internal used by checkpoints. */
  async optimizerState(): Promise<OptimizerState | undefined> {
    return this.optimizer?.getState();
  }

  /** @internal used by checkpoints. */
  restoreState(state: { optimizer?: OptimizerState; recorder?: Recorder; frozen: boolean; epochsTrained: number }): void {
    if (state.frozen) this.freeze();
    else this.unfreeze();
    if (state.optimizer) this.getOptimizer().setState(state.optimizer);
    else if (this.optimizer) {
      this.optimizer.dispose();
      this.optimizer = undefined;
    }
    if (state.recorder) this.recorder = state.recorder;
    this.epochsTrained = state.epochsTrained;
    this.bodyVersion++;
  }

  /** @internal the fit in progress, saved with checkpoints for resume. */
  currentFitState(): FitState | undefined {
    return this.fitState;
  }

  /** Saves weights, optimizer state, recorder and progress to `${modelDir}/${name}` atomically (Node). Returns the folder. */
  async save(name: string): Promise<string> {
    return (await nodePart('save()')).saveCheckpoint(this, name);
  }

  /** Restores a checkpoint written by save() (Node). */
  async load(name: string): Promise<void> {
    await (await nodePart('load()')).loadCheckpoint(this, name);
  }

  /** Body + pooling + head as one layers graph (what export() writes and predict() runs); it shares the training weights. */
  inferenceModel(): tfl.LayersModel {
    this.inference ??= buildInferenceModel(this.body.model, this.head);
    return this.inference;
  }

  /** Exports weights, topology and metadata.json to a folder for loadLearner() (Node; elsewhere exportToFiles()). Returns the folder. */
  async export(dir: string): Promise<string> {
    return (await nodePart('export(dir)')).exportLearner(this, dir);
  }

  async predict(image: ImageInput): Promise<Prediction> {
    return (await this.predictBatch([image]))[0]!;
  }

  async predictBatch(images: ImageInput[]): Promise<Prediction[]> {
    return predictImages(this.inferenceModel(), images, { classes: this.classes, inputSize: this.inputSize, normalize: this.normalize, resize: this.validResize, codec: await this.codec() });
  }

  /**
   * Per-item predictions in dataset order (validation-style input: no augmentation), with per-item
   * losses and pooled body features on request: the base for interpretation and cleaning.
   */
  async getPreds(options: GetPredsOptions = {}): Promise<Preds> {
    return collectPreds(
      this.data,
      this.classes,
      (x, withFeatures) => {
        const pooled = concatPool(this.body.model.apply(x, { training: false }) as tf.Tensor4D);
        const probs = tf.softmax(this.head.apply(pooled, { training: false }) as tf.Tensor2D) as tf.Tensor2D;
        return withFeatures ? { probs, features: pooled } : { probs };
      },
      { size: this.inputSize, normalize: this.normalize, resize: this.validResize, codec: await this.codec(), concurrency: this.options.concurrency },
      { batchSize: Math.min(this.options.batchSize, 16), ...options },
    );
  }

  /** Frees tensors held by the learner (weights, optimizer slots, cached activations). */
  dispose(): void {
    this.cache?.dispose();
    this.cache = undefined;
    this.optimizer?.dispose();
    this.optimizer = undefined;
    this.head.dispose();
    this.body.model.dispose();
  }
}

/** Reads the dataset's image size if it exposes one. */
function dataSize(data: LearnerData): number | undefined {
  const d = data as unknown as { size?: unknown; options?: { size?: unknown } };
  const s = d.size ?? d.options?.size;
  return typeof s === 'number' ? s : Array.isArray(s) && typeof s[0] === 'number' ? (s[0] as number) : undefined;
}

/** fastai's cnn_learner: a pretrained body cut at its feature map, the fastai head, frozen to start. */
export async function cnnLearner(data: LearnerData, options: CnnLearnerOptions = {}): Promise<Learner> {
  if (!data || !Array.isArray(data.classes) || data.classes.length < 2) {
    throw new LearnerError(`cnnLearner: data must be a dataset with at least 2 classes (got ${data && Array.isArray(data.classes) ? `[${data.classes.join(', ')}]` : String(data)})`);
  }
  if (typeof data.loader !== 'function') throw new LearnerError('cnnLearner: data must have a loader(split, options) method (an @bears/data ImageDataset)');
  const body = await loadBody(options.arch ?? 'mobilenet_v1_0.75', {
    pretrained: options.pretrained ?? options.weights ?? true,
    inputSize: options.size ?? dataSize(data),
    cacheDir: options.cacheDir,
    ...(options.readModel ? { readModel: options.readModel } : {}),
  });
  return new Learner(data, body, options);
}
