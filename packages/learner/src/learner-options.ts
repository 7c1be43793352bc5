import type { ActiveBackend } from '@bears/backend';
import type { ValidResize } from '@bears/data';
import type { LrFindResult } from '@bears/sgd';
import type { ArchSpec, ModelReader } from './archs.js';
import type { Callback } from './callbacks.js';
import type { HeadOptions } from './head.js';
import type { Metric } from './metrics.js';
import type { EpochRecord } from './recorder.js';

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
  /**
   * fastai's train_bn: the batch-norm scales and shifts of frozen body groups still train (default false): the
   * whole body's while it is frozen, the first group's after freezeTo(1).
   * fastai v1 and v2 default to true; here it turns off the feature cache (the body changes every step), making
   * each frozen epoch a full forward and backward pass through the body (minutes on a CPU instead of under a
   * second), so it is opt-in.
   */
  trainBn?: boolean;
  /** Force the physical (micro-)batch size of body training; default: planned from the memory budget. */
  physicalBatchSize?: number;
  /**
   * Unfrozen training in Node on wasm: worker_threads replicas (each its own one-thread wasm backend and copy of
   * the model) that split every batch's micro-batches, their gradients summed for one AdamW step (the same step,
   * within float rounding). Default: the wasm backend's threads (--threads, BEARS_THREADS or auto), capped by
   * free memory; 1 keeps training on the backend's own threads.
   */
  trainWorkers?: number;
  /** Memory budget for one training step in bytes (default: the backend's capabilities.memoryBudgetBytes; wasm: 1.25 GB). */
  memoryBudgetBytes?: number;
  head?: HeadOptions;
  /**
   * Heads trained in the frozen phase, each from its own initialization and shuffle of the cached activations,
   * then folded into one head K times as wide whose logits are their mean (default 1). Needs the feature cache.
   */
  heads?: number;
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
  /** A frozen fit of several heads (heads > 1): the folded head on the validation set; `epochs` are head 1's. */
  ensemble?: ValidationResult & { heads: number };
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
