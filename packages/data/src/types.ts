import type * as tf from '@tensorflow/tfjs-core';

/** One labelled image and the index of its class in `dataset.classes`. */
export interface Item {
  /** Where it came from: an absolute path for folder datasets, the id for in-memory ones. */
  file: string;
  label: number;
  /** Stable name in reports: the path relative to the dataset root (POSIX separators), or the given id. */
  id?: string;
  /** Encoded image bytes, for in-memory datasets (browsers, Workers); absent: read from `file`. */
  bytes?: Uint8Array;
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
