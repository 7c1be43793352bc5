import * as tf from '@tensorflow/tfjs-core';

/** Same shape as @bears/data's Normalization: applied to pixels / 255. */
export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

export const imagenetStats: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** [-1, 1], what MobileNet v1 wants. */
export const inceptionStats: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
/** x / 255, what Darknet wants. */
export const unitStats: Normalization = { mean: [0, 0, 0], std: [1, 1, 1] };

/** Normalizes a float tensor of pixels 0..255 ([..., 3]). */
export function normalizePixels<T extends tf.Tensor>(pixels: T, norm: Normalization): T {
  return tf.tidy(() => {
    const mean = tf.tensor1d(norm.mean.map((m) => m * 255));
    const std = tf.tensor1d(norm.std.map((s) => s * 255));
    return tf.div(tf.sub(pixels, mean), std) as T;
  });
}
