import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { activeBackend, type ActiveBackend, type ImageCodec } from '@bears/backend';
import { isValidResize, type ValidResize } from '@bears/data';
import { AdamW, type OptimizerState } from '@bears/sgd';
import type { Body } from './archs.js';
import { LearnerError } from './errors.js';
import { FeatureCache, type LearnerData } from './feature-cache.js';
import { fitOneCycle } from './fit-one-cycle.js';
import type { FitState } from './fit-state.js';
import { concatPool, createHead } from './head.js';
import { HeadEnsemble } from './head-ensemble.js';
import { buildInferenceModel, codecOf, predictImages, type ImageInput, type Prediction } from './inference.js';
import type { CnnLearnerOptions, FitOptions, FitResult, LrFindOutcome, ValidationResult } from './learner-options.js';
import { lrFind } from './lr-find.js';
import { planPhysicalBatch, type BatchPlan } from './memory.js';
import { crossEntropy, errorRate, scoreBatches, type Metric } from './metrics.js';
import { dropoutCounters, microBatchSizes, packLayout, setDropoutCounters, unpacked } from './data-parallel.js';
import type { TrainingPool } from './node/parallel-train.js';
import type { Normalization } from './normalization.js';
import { collectPreds, type GetPredsOptions, type OnProgress, type Preds } from './preds.js';
import { Recorder } from './recorder.js';
import { nodePart } from './lazy-node-part.js';
import { workersWanted } from './inference-workers.js';
import type { TrainBatch } from './train-batch.js';
import type { TrainingHost } from './training-host.js';

/**
 * A CNN learner: pretrained body + fastai head, layer groups, freeze/unfreeze, one-cycle training with
 * AdamW, lrFind, a recorder, checkpoints, export and predict.
 */
export class Learner implements TrainingHost {
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
  /** The first layer group that trains: 2 (the head) while frozen, 1 or 0 after freezeTo/unfreeze. */
  private trainFrom = 2;
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
  private readonly logLine: (line: string) => void;
  /** The backend handed over (or started last): decodes images, sets the memory budget. */
  readonly backend?: ActiveBackend;
  private codecPromise?: Promise<ImageCodec>;
  /** Data-parallel replicas for unfrozen steps (Node, wasm), started on the first such step. */
  private pool?: Promise<TrainingPool | undefined>;
  /** Heads trained side by side in the frozen phase and folded into `head` (1: a single head). */
  readonly heads: number;
  private ensemble?: HeadEnsemble;
  /** Set once `head` trains as one network (unfrozen, or loaded): later frozen fits continue it, not the members. */
  private headTrainedAlone = false;

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
    this.logLine = options.log ?? ((l) => console.log(l));
    this.backend = options.backend ?? activeBackend();
    this.heads = options.heads ?? 1;
    if (!Number.isInteger(this.heads) || this.heads < 1) throw new LearnerError(`heads must be a positive integer, got ${String(options.heads)}`);
    // With K heads the learner's head is K heads wide: the members are folded into it after each frozen fit.
    this.head = createHead(body.channels * 2, this.classes.length, { seed: options.seed, ...options.head, hidden: (options.head?.hidden ?? 512) * this.heads });
    const vars = (layers: tfl.layers.Layer[]) => layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    this.groupVars = [vars(body.groups[0]), vars(body.groups[1]), vars(this.head.layers)];
    this.recorder.metricNames = this.metrics.map((m) => m.name);
    this.freeze();
  }

  /** @internal where the table and notices go. */
  log(line: string): void {
    this.logLine(line);
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  private get frozen(): boolean {
    return this.trainFrom === 2;
  }

  /** The first layer group that trains: 0 the whole body, 1 its later group (freezeTo(1)), 2 the head only (frozen). */
  get trainsFrom(): number {
    return this.trainFrom;
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
    this.freezeTo(2);
  }

  /** Trains the whole network. */
  unfreeze(): void {
    this.freezeTo(0);
  }

  /**
   * fastai's freeze_to(n): body groups before `n` stay frozen (inference mode, no gradients: the
   * backward pass stops at the first trainable layer), the later ones and the head train.
   * 0 is unfreeze(), 2 is freeze(). The layers' trainable flags are the one record of what trains.
   */
  freezeTo(n: number): void {
    if (n !== 0 && n !== 1 && n !== 2) throw new LearnerError(`freezeTo: expected a layer group 0, 1 or 2, got ${String(n)}`);
    const frozenLayers = new Set<tfl.layers.Layer>(n === 2 ? this.body.model.layers : n === 1 ? this.body.groups[0] : []);
    // trainBn as fastai's train_bn: batch norm in the frozen groups trains too.
    for (const l of this.body.model.layers) l.trainable = !frozenLayers.has(l) || (this.options.trainBn === true && l.getClassName() === 'BatchNormalization');
    // The losses plot marks where the body started or stopped training (a jump or a dip there has a cause).
    if (n === 2 && !this.frozen) this.recorder.markPhase('frozen');
    if (n < 2 && this.frozen) this.recorder.markPhase('unfrozen');
    this.trainFrom = n;
  }

  private get bodyBnTraining(): boolean {
    return (this.options.bodyBn ?? (this.body.pretrained ? 'frozen' : 'batch')) === 'batch';
  }

  /** @internal the AdamW over the three layer groups (created on first use). */
  optimizerForTraining(): AdamW {
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

  /** @internal true when frozen training runs on cached body activations. */
  usesFeatureCache(): boolean {
    return this.frozen && this.options.featureCache && !this.options.trainBn;
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
      // Inference only: 16 whatever the training batch (features are the same at any batch size;
      // batches of 8 or less left the second core idle for part of each layer).
      batchSize: 16,
      normalize: this.normalize,
      bodyVersion: this.bodyVersion,
      validResize: this.validResize,
      concurrency: this.options.concurrency,
      seed: this.options.seed,
      codec: await this.codec(),
      onProgress: options.onProgress,
      fuse: this.backend?.name === 'wasm',
    });
    this.log(
      `cached body activations: ${this.data.train.length} train images x ${this.cache.views} augmented view${this.cache.views > 1 ? 's' : ''} + ${this.data.valid.length} valid in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return this.cache;
  }

  /** Batches for one training epoch (cached features when frozen, else images). */
  /** @internal */
  async *trainBatches(epochIndex: number): AsyncGenerator<TrainBatch> {
    const bs = this.options.batchSize;
    if (this.usesFeatureCache()) {
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

  /** @internal */
  trainBatchCount(): number {
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

  /** What freezeTo() left trainable (with trainBn, the frozen groups' batch norm too), in group order. */
  private trainableVars(): tf.Variable[] {
    return this.groupVars.flat().filter((v) => v.trainable);
  }

  /** One optimizer step on a batch, splitting it into micro-batches (gradient accumulation) when memory requires. */
  /** @internal */
  async trainStep(batch: TrainBatch): Promise<number> {
    const opt = this.optimizerForTraining();
    const vars = this.trainableVars();
    const n = batch.y.shape[0];
    let x = batch.x;
    let features = batch.features;
    if (!features && this.frozen && !this.options.trainBn) {
      // No cache: the frozen body still runs in inference mode, outside the gradient tape.
      x = tf.tidy(() => concatPool(this.body.model.apply(batch.x, { training: false }) as tf.Tensor4D));
      features = true;
    }
    const micro = features ? n : await this.physicalBatch(batch);
    // Several micro-batches of an unfrozen step with no batch norm on batch statistics: each one's
    // gradient depends on its images alone, so replicas can compute them (exactly this step).
    if (!features && !this.frozen && micro < n && !this.bodyBnTraining) {
      const pool = await this.trainingPool();
      if (pool) return this.parallelStep(pool, batch, micro, vars);
    }
    this.accumulating = micro < n;
    let lossSum = 0;
    let acc: tf.NamedTensorMap | undefined;
    for (let start = 0; start < n; start += micro) {
      const size = Math.min(micro, n - start);
      const { value, grads } = tf.tidy(() => {
        const xs = size === n ? x : tf.slice(x, start, size);
        const ys = size === n ? batch.y : tf.slice(batch.y, start, size);
        return this.lossGrads(xs, ys, n, features, this.accumulating, vars);
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
    if (!this.frozen || this.options.trainBn) this.bodyVersion++;
    return lossSum;
  }

  /**
   * @internal one micro-batch's share of the batch loss (its mean loss x its size / n) and the gradients
   * of `vars`; split: the batch runs as several micro-batches (the head's batch norm on running statistics).
   */
  lossGrads(xs: tf.Tensor, ys: tf.Tensor1D, n: number, features: boolean, split: boolean, vars: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    this.accumulating = split;
    return tf.variableGrads(() => tf.mul(crossEntropy(this.logits(xs, features, true), ys), xs.shape[0] / n) as tf.Scalar, vars);
  }

  /** Replicas asked for: trainWorkers, else the wasm backend's thread setting (--threads, BEARS_THREADS, auto) in Node. */
  private trainWorkers(): number {
    return workersWanted(this.options.trainWorkers, this.backend);
  }

  private trainingPool(): Promise<TrainingPool | undefined> {
    if (!this.pool) {
      const wanted = this.trainWorkers();
      this.pool =
        wanted < 2
          ? Promise.resolve(undefined)
          : nodePart('data-parallel training (trainWorkers > 1)').then(async (p) => {
              const pool = await p.startTrainingPool(this, wanted);
              this.log(pool ? `unfrozen training: ${pool.workers} workers (data parallel, one wasm thread each)` : `unfrozen training: one thread (free memory holds no second replica)`);
              return pool;
            }).catch((err: unknown) => {
              // Asked for by name: say why it cannot be had. By default: train as before, and say why.
              if (this.options.trainWorkers !== undefined) throw err;
              this.log(`unfrozen training: on the backend's threads (the workers did not start: ${(err as Error).message.split('\n')[0]})`);
              return undefined;
            });
      this.pool.catch(() => (this.pool = undefined));
    }
    return this.pool;
  }

  /**
   * trainStep on the replicas: they compute the micro-batch gradients (same micro-batches, same dropout
   * draws), this thread sums them and takes the one AdamW step. A failed worker stops the pool (the
   * next step starts a new one).
   */
  private async parallelStep(pool: TrainingPool, batch: TrainBatch, micro: number, vars: tf.Variable[]): Promise<number> {
    const n = batch.y.shape[0];
    const sizes = microBatchSizes(n, micro);
    const names = this.variableNames();
    const dropout = dropoutCounters(this.head.layers);
    let result;
    try {
      result = await pool.step(batch.x, batch.y, sizes, vars.map((v) => names.get(v.name)!), dropout);
    } catch (err) {
      this.pool = undefined;
      throw err;
    }
    setDropoutCounters(this.head.layers, dropout.map((c) => c + sizes.length));
    const layout = packLayout(vars.map((v) => v.shape));
    const acc: tf.NamedTensorMap = {};
    vars.forEach((v, i) => {
      if (result.present[i]) acc[v.name] = tf.tensor(unpacked(result.grads, layout, i), v.shape);
    });
    this.optimizerForTraining().applyGradients(acc);
    tf.dispose(Object.values(acc));
    this.bodyVersion++;
    return result.loss;
  }

  /** Stops the data-parallel workers (they restart on the next unfrozen step that needs them). */
  async closeWorkers(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await (await pool?.catch(() => undefined))?.close();
  }

  /** Plans the micro-batch for body training once per unfrozen state, and says so when it splits batches. */
  private async physicalBatch(batch: TrainBatch): Promise<number> {
    const n = batch.y.shape[0];
    if (this.options.physicalBatchSize) return Math.max(1, Math.min(n, this.options.physicalBatchSize));
    if (!this.plan || this.plan.logical !== this.options.batchSize) {
      // The probes run training-mode forwards of 1 and 2 images, and batch norm folds those statistics into
      // its running mean and variance (a 1-image batch has variance 0): on the bears that alone moved the
      // frozen head's valid loss from 0.20 to 0.34 before the first step. Put the running statistics back.
      const saved = [...this.body.model.nonTrainableWeights, ...this.head.nonTrainableWeights].map((w) => [w, tf.clone(w.read())] as const);
      const plan = planPhysicalBatch({
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
      try {
        this.plan = await plan;
      } finally {
        for (const [w, t] of saved) {
          w.write(t);
          t.dispose();
        }
      }
      if (this.plan.physical < this.plan.logical) this.log(this.plan.message);
    }
    return Math.min(n, this.plan.physical);
  }

  /** Loss and metrics on the validation set (body and head in inference mode). */
  async validate(): Promise<ValidationResult> {
    if (this.usesFeatureCache()) {
      const { logits, labels } = (await this.prepareFeatures()).validLogits((x) => this.logits(x, true, false));
      return scoreBatches(logits, labels, this.metrics);
    }
    const logitsParts: tf.Tensor2D[] = [];
    const labelParts: tf.Tensor1D[] = [];
    const loader = this.data.loader('valid', { batchSize: Math.min(this.options.batchSize, 16), size: this.inputSize, normalize: this.normalize, validResize: this.validResize, concurrency: this.options.concurrency, codec: await this.codec() });
    for await (const b of loader) {
      logitsParts.push(tf.tidy(() => this.logits(b.x, false, false)));
      labelParts.push(tf.clone(b.y));
    }
    return scoreBatches(logitsParts, labelParts, this.metrics);
  }

  /**
   * fastai's fit_one_cycle: AdamW with the one-cycle schedule (lr warm-up then cosine anneal, momentum
   * the other way). `lr` is one rate for every group or [lo, hi] spread over the three layer groups.
   */
  /**
   * Without `lr`: fastai v1's default slice(3e-3), the head at 3e-3 and the body groups at 3e-4. With `heads` > 1, a
   * frozen fit on cached activations trains the K member heads (head-ensemble.ts) and folds them into `head`.
   */
  async fitOneCycle(epochs: number, lr?: number | [number, number], options: FitOptions = {}): Promise<FitResult> {
    if (this.heads > 1 && !this.headTrainedAlone && this.usesFeatureCache()) {
      this.ensemble ??= new HeadEnsemble(this, this.heads, this.body.channels * 2);
      return this.ensemble.fit(epochs, lr, options);
    }
    this.dropEnsemble();
    return fitOneCycle(this, epochs, lr, options);
  }

  private dropEnsemble(): void {
    if (this.heads === 1) return;
    this.headTrainedAlone = true;
    this.ensemble?.dispose();
    this.ensemble = undefined;
  }

  /**
   * The LR range test: trains with an exponentially growing learning rate (1e-7 to 10 over 100 batches),
   * stops when the loss explodes, restores the weights and optimizer, and suggests a learning rate.
   */
  async lrFind(options: { startLr?: number; endLr?: number; numIt?: number; onProgress?: OnProgress } = {}): Promise<LrFindOutcome> {
    return lrFind(this, options);
  }

  /** @internal saves weights, optimizer state and recorder; the returned function restores them (lrFind). */
  async snapshotTraining(): Promise<() => void> {
    const snapshot = this.snapshotWeights();
    const version = this.bodyVersion;
    const optState = this.optimizer ? await this.optimizer.getState() : undefined;
    const savedRecorder = this.recorder;
    this.recorder = new Recorder();
    return () => {
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
    };
  }

  /** @internal where a checkpoint's fit stood, undefined when there is none (resume). */
  async peekCheckpoint(name: string): Promise<FitState | undefined> {
    try {
      return await (await nodePart('fitOneCycle({ resume })')).loadCheckpoint(this, name, { peekFitState: true });
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** @internal */
  setFitState(state: FitState | undefined): void {
    this.fitState = state;
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
  restoreState(state: { optimizer?: OptimizerState; recorder?: Recorder; frozen: boolean; trainFrom?: number; epochsTrained: number }): void {
    if (state.frozen) this.freeze();
    else this.freezeTo(state.trainFrom ?? 0);
    if (state.optimizer) this.optimizerForTraining().setState(state.optimizer);
    else if (this.optimizer) {
      this.optimizer.dispose();
      this.optimizer = undefined;
    }
    if (state.recorder) this.recorder = state.recorder;
    this.epochsTrained = state.epochsTrained;
    this.bodyVersion++;
    this.dropEnsemble();
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
    return predictImages(this.inferenceModel(), images, { classes: this.classes, inputSize: this.inputSize, normalize: this.normalize, resize: this.validResize, codec: await this.codec(), fuse: this.backend?.name === 'wasm' });
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
    void this.closeWorkers();
    this.ensemble?.dispose();
    this.ensemble = undefined;
    this.cache?.dispose();
    this.cache = undefined;
    this.optimizer?.dispose();
    this.optimizer = undefined;
    // The body, the head and the inference graph share layers (and tfjs counts a layer's uses, not its
    // models), so free each weight once instead of disposing the models one by one.
    for (const w of new Set([...this.body.model.weights, ...this.head.weights])) w.dispose();
    this.inference = undefined;
  }
}

