import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-backprop-input.js';

/**
 * The kernels Bears registers on 'wasm'. Three are missing from tfjs-backend-wasm 4.22; its
 * Conv2DBackpropInput exists but is a naive loop (about 1 GFLOP/s), so ours replaces it.
 */
export const trainingKernelConfigs: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
];

/** Registers the training kernels tfjs-backend-wasm lacks (or runs slowly). Idempotent. */
export function registerTrainingKernels(): void {
  for (const config of trainingKernelConfigs) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    // Replaces tfjs's own version (or one from a second copy of this module).
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
