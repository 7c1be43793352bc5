import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { AdamW } from '@bears/sgd';
import { LearnerError } from './errors.js';
import type { FeatureCache } from './feature-cache.js';
import { fitOneCycle } from './fit-one-cycle.js';
import { createHead, type HeadOptions } from './head.js';
import type { FitOptions, FitResult, ValidationResult } from './learner-options.js';
import { crossEntropy, scoreBatches, type Metric } from './metrics.js';
import { Recorder, type EpochRecord } from './recorder.js';
import type { TrainBatch } from './train-batch.js';
import type { TrainingHost } from './training-host.js';

/** The layers of createHead() whose weights the fold reads and writes. */
const BN1 = 'head_bn1';
const DENSE1 = 'head_dense1';
const BN2 = 'head_bn2';
const OUT = 'head_out';

function weightsOf(head: tfl.Sequential, name: string): tf.Tensor[] {
  return head.getLayer(name).getWeights();
}

function epsilonOf(head: tfl.Sequential, name: string): number {
  return Number((head.getLayer(name).getConfig() as { epsilon?: number }).epsilon ?? 1e-3);
}

/**
 * Folds K heads of createHead()'s shape (same input and class count) into `target`, one head whose hidden layer is
 * the K hidden layers side by side, so that in inference mode target(x) = mean_k head_k(x) (logits) exactly, up to
 * float rounding. Each member's first batch norm is folded into its dense layer, relative to a shared batch norm
 * that keeps the members' mean running statistics (so it still normalizes like a batch norm when the head trains
 * later, as after unfreeze()); the second batch norm is per hidden unit, so it is concatenated; the output layer
 * stacks the members' kernels, divided by K, and averages their biases.
 */
export function foldHeads(members: readonly tfl.Sequential[], target: tfl.Sequential): void {
  const k = members.length;
  if (k === 0) throw new LearnerError('foldHeads: no heads to fold');
  const hidden = members.map((m) => (m.getLayer(DENSE1).getWeights()[0]!.shape[1] ?? 0) as number);
  const targetHidden = target.getLayer(DENSE1).getWeights()[0]!.shape[1];
  const total = hidden.reduce((a, b) => a + b, 0);
  if (targetHidden !== total) throw new LearnerError(`foldHeads: the target head's hidden layer has ${targetHidden} units, the members ${total} together`);
  const folded = tf.tidy(() => {
    const eps1 = epsilonOf(target, BN1);
    const bn1 = members.map((m) => weightsOf(m, BN1)); // [gamma, beta, movingMean, movingVariance]
    const mean = tf.div(tf.addN(bn1.map((w) => w[2]!)), k);
    const variance = tf.div(tf.addN(bn1.map((w) => w[3]!)), k);
    // The shared batch norm maps x to u = (x - mean) / r; member k's own was s_k * (x - mean_k) + beta_k.
    const r = tf.sqrt(tf.add(variance, eps1));
    const kernels: tf.Tensor[] = [];
    const biases: tf.Tensor[] = [];
    members.forEach((m, i) => {
      const [gamma, beta, mMean, mVar] = bn1[i]!;
      const s = tf.div(gamma!, tf.sqrt(tf.add(mVar!, epsilonOf(m, BN1))));
      const [w, b] = weightsOf(m, DENSE1) as [tf.Tensor2D, tf.Tensor1D];
      // s_k * (r u + mean - mean_k) + beta_k, then the dense layer: W' = diag(s_k r) W, b' = b + (s_k (mean - mean_k) + beta_k) W.
      kernels.push(tf.mul(w, tf.expandDims(tf.mul(s, r), 1)));
      const shift = tf.add(tf.mul(s, tf.sub(mean, mMean!)), beta!);
      biases.push(tf.add(b, tf.squeeze(tf.matMul(tf.expandDims(shift, 0), w), [0])));
    });
    const bn2 = members.map((m) => weightsOf(m, BN2));
    // Member k's second batch norm has its own epsilon baked in: rescale its variance to the target's epsilon.
    const eps2 = epsilonOf(target, BN2);
    const outs = members.map((m) => weightsOf(m, OUT));
    return {
      bn1: [tf.onesLike(mean), tf.zerosLike(mean), mean, variance],
      dense1: [tf.concat(kernels, 1), tf.concat(biases, 0)],
      bn2: [0, 1, 2].map((j) => tf.concat(bn2.map((w) => w[j]!), 0)).concat([tf.concat(bn2.map((w, i) => tf.sub(tf.add(w[3]!, epsilonOf(members[i]!, BN2)), eps2)), 0)]),
      out: [tf.div(tf.concat(outs.map((w) => w[0]!), 0), k), tf.div(tf.addN(outs.map((w) => w[1]!)), k)],
    };
  });
  target.getLayer(BN1).setWeights(folded.bn1);
  target.getLayer(DENSE1).setWeights(folded.dense1);
  target.getLayer(BN2).setWeights(folded.bn2);
  target.getLayer(OUT).setWeights(folded.out);
  tf.dispose([...folded.bn1, ...folded.dense1, ...folded.bn2, ...folded.out]);
}

/** What an ensemble needs from its Learner (an interface, so this file does not import learner.ts). */
export interface EnsembleOwner {
  readonly head: tfl.Sequential;
  readonly classes: string[];
  readonly metrics: Metric[];
  recorder: Recorder;
  epochsTrained: number;
  readonly options: { batchSize: number; wd: number; seed?: number; head?: HeadOptions; callbacks?: TrainingHost['options']['callbacks']; stopOnDivergence: boolean };
  log(line: string): void;
  prepareFeatures(): Promise<FeatureCache>;
  trainBatchCount(): number;
  validate(): Promise<ValidationResult>;
}

/** One member head trained by the learner's own fitOneCycle on the learner's cached activations. */
class MemberHost implements TrainingHost {
  recorder: Recorder;
  epochsTrained = 0;
  readonly isFrozen = true;
  readonly options: TrainingHost['options'];
  private optimizer?: AdamW;

  constructor(
    private readonly owner: EnsembleOwner,
    readonly head: tfl.Sequential,
    private readonly shuffleSeed: number,
    readonly index: number,
  ) {
    this.recorder = new Recorder();
    this.recorder.metricNames = owner.metrics.map((m) => m.name);
    this.options = { stopOnDivergence: owner.options.stopOnDivergence };
  }

  /** Member 0 speaks in the learner's table and recorder (heads: 1 would train exactly it); the others are quiet. */
  lead(callbacks: TrainingHost['options']['callbacks']): void {
    this.recorder = this.owner.recorder;
    (this.options as { callbacks?: unknown }).callbacks = callbacks;
  }

  log(line: string): void {
    if (this.index === 0) this.owner.log(line);
  }

  private vars(): tf.Variable[] {
    return this.head.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  optimizerForTraining(): AdamW {
    // The learner's three layer groups, the body's empty: fitOneCycle gives every group its rate.
    this.optimizer ??= new AdamW([{ params: [], name: 'body1' }, { params: [], name: 'body2' }, { params: this.vars(), name: 'head' }], { lr: 1e-3, wd: this.owner.options.wd });
    return this.optimizer;
  }

  usesFeatureCache(): boolean {
    return true;
  }

  prepareFeatures(): Promise<FeatureCache> {
    return this.owner.prepareFeatures();
  }

  trainBatchCount(): number {
    return this.owner.trainBatchCount();
  }

  async *trainBatches(epochIndex: number): AsyncGenerator<TrainBatch> {
    const cache = await this.owner.prepareFeatures();
    for (const b of cache.trainBatches(epochIndex, this.owner.options.batchSize, this.shuffleSeed)) yield { ...b, features: true };
  }

  async trainStep(batch: TrainBatch): Promise<number> {
    const opt = this.optimizerForTraining();
    const { value, grads } = tf.variableGrads(() => crossEntropy(this.head.apply(batch.x, { training: true }) as tf.Tensor2D, batch.y), this.vars());
    const loss = (await value.data())[0]!;
    value.dispose();
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
    return loss;
  }

  async validate(): Promise<ValidationResult> {
    const { logits, labels } = (await this.owner.prepareFeatures()).validLogits((x) => this.head.apply(x, { training: false }) as tf.Tensor2D);
    return scoreBatches(logits, labels, this.owner.metrics);
  }

  save(): Promise<string> {
    return Promise.reject(new LearnerError('checkpoints are not written while an ensemble of heads trains (the members are folded into the head at the end of the fit)'));
  }

  load(): Promise<void> {
    return this.save().then(() => undefined);
  }

  async peekCheckpoint(): Promise<undefined> {
    return undefined;
  }

  setFitState(): void {}

  snapshotTraining(): Promise<() => void> {
    return Promise.reject(new LearnerError('lrFind runs on the learner, not on an ensemble member'));
  }

  dispose(): void {
    this.optimizer?.dispose();
    this.optimizer = undefined;
    for (const w of this.head.weights) w.dispose();
  }
}

export interface EnsembleFitResult extends FitResult {
  /** The folded head on the validation set (what the learner predicts now). */
  ensemble: ValidationResult & { heads: number };
}

/**
 * K heads trained on the same cached activations, each from its own initialization and shuffling, then folded
 * into the learner's head (foldHeads): export, predict and interpretation see one ordinary head. Averaging the
 * members' logits removes much of the variance of one head trained on a few hundred images (see the README).
 * The members live (with their optimizer state) until the body trains, so a second frozen fit continues them.
 */
export class HeadEnsemble {
  private readonly members: MemberHost[];

  constructor(
    private readonly owner: EnsembleOwner,
    readonly size: number,
    inFeatures: number,
  ) {
    if (!Number.isInteger(size) || size < 2) throw new LearnerError(`an ensemble needs at least 2 heads, got ${size}`);
    const seed = owner.options.seed;
    this.members = Array.from({ length: size }, (_, k) => {
      // Member 0 is the head a single-head learner would train (same seeds); the others shift both seeds by k.
      const head = createHead(inFeatures, owner.classes.length, { ...owner.options.head, seed: seed === undefined ? undefined : seed + k });
      return new MemberHost(owner, head, (seed ?? 42) + k, k);
    });
  }

  async fit(epochs: number, lr: number | [number, number] | undefined, options: FitOptions = {}): Promise<EnsembleFitResult> {
    if (options.resume || options.checkpoint) throw new LearnerError('fitOneCycle with checkpoint or resume trains one head: create the learner with heads: 1 for it');
    await this.owner.prepareFeatures();
    const start = this.owner.epochsTrained;
    const t0 = performance.now();
    let lead: FitResult | undefined;
    let stopped: string | undefined;
    let done = 0;
    for (const m of this.members) {
      const t = performance.now();
      m.epochsTrained = start;
      if (m.index === 0) {
        m.lead(this.owner.options.callbacks);
        this.owner.log(`head 1 of ${this.size} (an ensemble: ${this.size} heads from different initializations and shuffles, averaged):`);
      }
      const res = await fitOneCycle(m, epochs, lr, { ...(options.pctStart !== undefined ? { pctStart: options.pctStart } : {}), ...(m.index === 0 ? { callbacks: options.callbacks ?? [] } : {}) });
      if (m.index === 0) lead = res;
      else {
        const last: EpochRecord | undefined = res.epochs[res.epochs.length - 1];
        const metrics = last ? Object.entries(last.metrics).map(([k, v]) => ` ${k} ${v.toFixed(6)}`).join('') : '';
        this.owner.log(`head ${m.index + 1} of ${this.size}: train_loss ${last?.trainLoss.toFixed(6)} valid_loss ${last?.validLoss.toFixed(6)}${metrics} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
      }
      if (res.stopped) {
        stopped = `head ${m.index + 1} of ${this.size}: ${res.stopped}`;
        break;
      }
      done++;
    }
    this.owner.epochsTrained = start + epochs;
    // Stopped early: the heads that finished fill every slot (the first one alone when none did), so the learner
    // holds what was trained rather than untrained members.
    const trained = this.members.slice(0, Math.max(1, done)).map((m) => m.head);
    foldHeads(this.members.map((_, i) => trained[i % trained.length]!), this.owner.head);
    if (stopped) return { epochs: lead?.epochs ?? [], stopped, ensemble: { heads: this.size, ...(await this.owner.validate()) } };
    const val = await this.owner.validate();
    const metrics = Object.entries(val.metrics).map(([k, v]) => ` ${k} ${v.toFixed(6)}`).join('');
    this.owner.log(`ensemble of ${this.size} heads, folded into one head: valid_loss ${val.loss.toFixed(6)}${metrics} (${((performance.now() - t0) / 1000).toFixed(1)} s in all)`);
    return { epochs: lead!.epochs, ensemble: { heads: this.size, ...val } };
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
