import * as tf from '@tensorflow/tfjs-core';
import { LearnerError } from './errors.js';

/** A metric over the whole validation set: predictions (logits or probabilities) and int labels. */
export interface Metric {
  name: string;
  /** Higher is better (accuracy) or lower is better (error_rate); used by "best" checkpointing. */
  higherIsBetter: boolean;
  compute(logits: tf.Tensor2D, labels: tf.Tensor1D): number;
}

function accuracyValue(logits: tf.Tensor2D, labels: tf.Tensor1D): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32')).dataSync()[0]!);
}

export const accuracy: Metric = { name: 'accuracy', higherIsBetter: true, compute: accuracyValue };
export const errorRate: Metric = { name: 'error_rate', higherIsBetter: false, compute: (l, y) => 1 - accuracyValue(l, y) };

/** Softmax cross-entropy with integer labels, averaged over the batch (fastai's CrossEntropyLossFlat). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/**
 * Loss and metrics over a whole validation set, from its batches' logits and labels (disposed here):
 * the learner and the head ensemble score the same way.
 */
export function scoreBatches(logitsParts: tf.Tensor2D[], labelParts: tf.Tensor1D[], metrics: readonly Metric[]): { loss: number; metrics: Record<string, number> } {
  if (logitsParts.length === 0) throw new LearnerError('the validation set is empty: create the dataset with validPct > 0 to get valid_loss and metrics');
  const logits = tf.concat(logitsParts, 0);
  const labels = tf.concat(labelParts, 0);
  tf.dispose([...logitsParts, ...labelParts]);
  const loss = tf.tidy(() => crossEntropy(logits, labels).dataSync()[0]!);
  const out: Record<string, number> = {};
  for (const m of metrics) out[m.name] = m.compute(logits, labels);
  tf.dispose([logits, labels]);
  return { loss, metrics: out };
}
