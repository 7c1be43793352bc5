import * as tf from '@tensorflow/tfjs-core';
import type { Normalization } from '@bears/data';

// One definition of the statistics for the whole monorepo: @bears/data's (applied to pixels / 255).
export { imagenetStats, inceptionStats, unitStats } from '@bears/data';
export type { Normalization } from '@bears/data';

/** Normalizes a float tensor of pixels 0..255 ([..., 3]). */
export function normalizePixels<T extends tf.Tensor>(pixels: T, norm: Normalization): T {
  return tf.tidy(() => {
    const mean = tf.tensor1d(norm.mean.map((m) => m * 255));
    const std = tf.tensor1d(norm.std.map((s) => s * 255));
    return tf.div(tf.sub(pixels, mean), std) as T;
  });
}
