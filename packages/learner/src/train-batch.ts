import type * as tf from '@tensorflow/tfjs-core';

/** A batch the training loop consumes: either images or cached pooled features. */
export interface TrainBatch {
  x: tf.Tensor;
  y: tf.Tensor1D;
  features: boolean;
}
