import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Rows LayersModel.predict runs at once (it splits a larger input into batches of this many). */
const PREDICT_BATCH = 32;

/**
 * An inference forward pass (training: false), the same computation as `model.predict(x)`. Up to 32
 * rows it calls the model directly: predict first slices its input into 32-row batches, and on wasm
 * that slice reads the whole input out of the wasm heap into a new buffer (588 KB for one 224 px
 * image), a copy whose garbage gave the server a major GC every 15-25 requests. Larger inputs keep
 * predict's batches, so their memory stays bounded.
 */
export function inferenceForward(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor | tf.Tensor[] {
  return (x.shape[0] ?? 0) <= PREDICT_BATCH ? (model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]) : model.predict(x);
}
