import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface HeadOptions {
  /** Hidden width of the head (fastai: 512). */
  hidden?: number;
  /** Dropout before the hidden and the output layers (fastai: 0.25, 0.5). */
  ps?: [number, number];
  seed?: number;
}

/**
 * Dropout that draws a fresh mask on every training call. tfjs-layers' own Dropout, given a seed,
 * re-seeds its generator on each call and so drops the same units at every step (a fixed pruning,
 * not dropout). This one advances the seed per call: reproducible and still random. It serializes
 * as a plain 'Dropout' (without the seed), so exported models load anywhere without this class.
 */
export class StepDropout extends tfl.layers.Layer {
  static className = 'Dropout';
  readonly rate: number;
  private readonly seed?: number;
  private calls = 0;

  constructor(args: { rate: number; seed?: number; name?: string }) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs.training || this.rate === 0) return x;
    const seed = this.seed === undefined ? undefined : this.seed * 1_000_003 + this.calls;
    this.calls++;
    return tf.dropout(x, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { rate: this.rate, ...super.getConfig() };
  }
}

/**
 * fastai's head after the concat pool: BN, dropout 0.25, dense 512 + ReLU, BN, dropout 0.5,
 * dense to the classes. Input: the pooled [max, avg] features (2 x body channels).
 */
export function createHead(inFeatures: number, numClasses: number, options: HeadOptions = {}): tfl.Sequential {
  const hidden = options.hidden ?? 512;
  const [p1, p2] = options.ps ?? [0.25, 0.5];
  const seed = options.seed;
  return tfl.sequential({
    name: 'head',
    layers: [
      tfl.layers.batchNormalization({ inputShape: [inFeatures], momentum: 0.9, epsilon: 1e-5, name: 'head_bn1' }),
      new StepDropout({ rate: p1, name: 'head_drop1', seed }),
      tfl.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed }), name: 'head_dense1' }),
      tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: 'head_bn2' }),
      new StepDropout({ rate: p2, name: 'head_drop2', seed: seed === undefined ? undefined : seed + 1 }),
      tfl.layers.dense({ units: numClasses, kernelInitializer: tfl.initializers.glorotUniform({ seed }), name: 'head_out' }),
    ],
  });
}

/** fastai's AdaptiveConcatPool2d: [global max, global average] over a [b, h, w, c] map -> [b, 2c]. */
export function concatPool(features: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([tf.max(features, [1, 2]), tf.mean(features, [1, 2])], 1) as tf.Tensor2D);
}

/** The same pooling as layers, for the exported single-graph model. */
export function concatPoolLayers(x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  const mx = tfl.layers.globalMaxPooling2d({ name: 'pool_max' }).apply(x) as tfl.SymbolicTensor;
  const avg = tfl.layers.globalAveragePooling2d({ name: 'pool_avg' }).apply(x) as tfl.SymbolicTensor;
  return tfl.layers.concatenate({ axis: -1, name: 'pool_concat' }).apply([mx, avg]) as tfl.SymbolicTensor;
}
