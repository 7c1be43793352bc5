// Data-parallel unfrozen training on worker_threads (Node). Each worker holds a replica of the
// learner (same topology and head options, its own single-threaded wasm backend) and computes the
// gradients of a contiguous run of each batch's micro-batches; the main thread sums them, takes the
// one AdamW step, and sends every weight again with the next batch. The pure parts (split, sums,
// dropout counters) are in ../data-parallel.ts.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { packLayout, packValues, splitMicroBatches, sumLosses, sumPartials } from '../data-parallel.js';
import { LearnerError } from '../errors.js';
import type { Learner } from '../learner.js';
import { plannedWorkers, ReplicaPool, startReplicas, workerScript, type Replica } from './replica.js';

/** What a worker needs to build its replica (all structured-cloneable). */
export interface ReplicaSpec {
  backendModule: string;
  backendName: string;
  topology: unknown;
  arch: { name: string; normalize: unknown; inputSize: number; split?: string };
  pretrained: boolean;
  classes: string[];
  options: Record<string, unknown>;
  /** Every weight of the learner by its stable name (namedWeights()), in the order they are packed. */
  weightNames: string[];
  weightShapes: number[][];
}

export interface StepRequest {
  type: 'step';
  weights: Float32Array;
  /** Indices (into weightNames) of the variables to differentiate, in the order of the packed gradients. */
  trainable: number[];
  x: Float32Array;
  /** Shape of one image, [h, w, c]. */
  image: number[];
  y: number[];
  yDtype: 'int32' | 'float32';
  /** Rows of the whole batch (each micro-batch's loss is scaled by its size / n). */
  n: number;
  /** Index in the batch of this worker's first micro-batch, and its micro-batch sizes. */
  first: number;
  sizes: number[];
  /** The head's dropout counters at the step's start. */
  dropout: number[];
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'grads'; grads: Float32Array; present: Uint8Array; losses: number[]; ms: { write: number; total: number } }
  | { type: 'error'; message: string };

/** What the learner's step gets back: the micro-batch losses summed, and the gradients summed over the batch. */
export interface ParallelGrads {
  loss: number;
  /** Packed in `trainable`'s order; offsets from packLayout of their shapes. */
  grads: Float32Array;
  present: Uint8Array;
}

/** Memory a replica needs besides the main process (its wasm heap holds a model and one micro-batch step). */
const REPLICA_BYTES = 1.5e9;

/** N replicas of one learner on worker_threads. */
export class TrainingPool extends ReplicaPool<WorkerReply> {
  private readonly weights: tfl.LayerVariable[];
  /** Where each weight lies in the packed array sent with every step, and its index by name (fixed for the pool's life). */
  private readonly layout: ReturnType<typeof packLayout>;
  private readonly index: Map<string, number>;

  private constructor(replicas: Replica<WorkerReply>[], spec: ReplicaSpec, learner: Learner) {
    super(replicas, 'training worker');
    const named = learner.namedWeights();
    this.weights = spec.weightNames.map((n) => named.get(n)!);
    this.layout = packLayout(spec.weightShapes);
    this.index = new Map(spec.weightNames.map((n, i) => [n, i]));
  }

  /** Starts `workers` replicas of the learner and waits until each has built its model. */
  static async start(learner: Learner, workers: number): Promise<TrainingPool> {
    const backend = learner.backend;
    if (backend?.name !== 'wasm') throw new LearnerError(`data-parallel training runs replicas on the wasm backend; this learner uses '${backend?.name ?? 'none'}' (set trainWorkers: 1)`);
    const named = [...learner.namedWeights()];
    const o = learner.options;
    const spec: ReplicaSpec = {
      backendModule: '@bears/backend-wasm',
      backendName: 'wasm',
      topology: learner.body.model.toJSON(undefined, false),
      arch: { name: learner.body.arch.name, normalize: learner.body.arch.normalize, inputSize: learner.body.arch.inputSize, split: learner.body.arch.split },
      pretrained: learner.body.pretrained,
      classes: learner.classes,
      // What shapes the replica's forward pass (the rest of the options is the main thread's business).
      options: JSON.parse(JSON.stringify({ head: o.head, heads: learner.heads, seed: o.seed, bodyBn: o.bodyBn, trainBn: o.trainBn, validResize: o.validResize })) as Record<string, unknown>,
      weightNames: named.map(([n]) => n),
      weightShapes: named.map(([, w]) => [...w.shape] as number[]),
    };
    const replicas = await startReplicas<WorkerReply>(workerScript('train-worker'), workers, 'training worker', { type: 'init', spec });
    return new TrainingPool(replicas, spec, learner);
  }

  /**
   * The gradients of one batch, computed on the replicas: the current weights go out with it, each
   * replica runs its run of micro-batches (sizes), and the partial sums come back and are added.
   * On any failure every worker is stopped and the error thrown.
   */
  async step(x: tf.Tensor, y: tf.Tensor1D, sizes: number[], trainable: string[], dropout: number[]): Promise<ParallelGrads> {
    return this.round(async () => {
      const trainIdx = trainable.map((n) => {
        const i = this.index.get(n);
        if (i === undefined) throw new LearnerError(`data-parallel step: no weight named '${n}' in the replicas`);
        return i;
      });
      const packed = packValues(await Promise.all(this.weights.map((w) => w.read().data())), this.layout);
      const xs = (await x.data()) as Float32Array;
      const ys = Array.from(await y.data());
      const n = y.shape[0];
      const rowSize = x.size / n;
      const shares = splitMicroBatches(sizes, this.replicas.length);
      const replies = await Promise.all(
        shares.map((share, r) => {
          const part = xs.slice(share.start * rowSize, (share.start + share.rows) * rowSize);
          const msg: StepRequest = {
            type: 'step',
            weights: r === shares.length - 1 ? packed : packed.slice(),
            trainable: trainIdx,
            x: part,
            image: x.shape.slice(1),
            y: ys.slice(share.start, share.start + share.rows),
            yDtype: y.dtype === 'int32' ? 'int32' : 'float32',
            n,
            first: share.first,
            sizes: share.sizes,
            dropout,
          };
          return this.replicas[r]!.request(msg, [part.buffer as ArrayBuffer, msg.weights.buffer as ArrayBuffer]);
        }),
      );
      const parts = replies.map((r) => r as Extract<WorkerReply, { type: 'grads' }>);
      const { grads, present } = sumPartials(parts);
      return { loss: sumLosses(parts.map((p) => p.losses)), grads, present };
    });
  }
}

/** Starts the pool the learner asked for, or undefined when memory leaves room for fewer than 2 replicas. */
export async function startTrainingPool(learner: Learner, wanted: number): Promise<TrainingPool | undefined> {
  const workers = plannedWorkers(wanted, REPLICA_BYTES);
  if (workers < 2) return undefined;
  return TrainingPool.start(learner, workers);
}
