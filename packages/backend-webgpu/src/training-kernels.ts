import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels whose absence stops CNN training (backprop through conv, depthwise conv, pooling,
 * ReLU). Forward-only backends usually lack one of these.
 */
export const TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
  'AvgPoolGrad',
  'Step',
] as const;

/** The training kernels a tfjs backend has not registered. */
export function missingTrainingKernels(tfBackendName: string): string[] {
  return TRAINING_KERNELS.filter((k) => tf.getKernel(k, tfBackendName) === undefined);
}
