import type * as tf from '@tensorflow/tfjs-core';

/** One labelled image: an absolute file path and the index of its class in `dataset.classes`. */
export interface Item {
  file: string;
  label: number;
}

export type Split = 'train' | 'valid';

/** One batch from a loader; the loader disposes x and y when the next batch is requested or the loop ends. */
export interface Batch {
  /** float32 [b, size, size, 3], normalized. */
  x: tf.Tensor4D;
  /** int32 [b] class indices. */
  y: tf.Tensor1D;
  /** The images in this batch, in row order. */
  items: Item[];
}
