import type * as tf from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-backprop-input.js';
import { fusedBatchNormConfig } from './batch-norm.js';
import { batchNormGradSumsConfig, gateGradConfig, registerFusedGradients } from './fused-grads.js';
import { binaryConfigs } from './binary.js';
import { castConfig, identityConfig } from './identity.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { maximumConfig, minimumConfig } from './min-max.js';
import { installKernel } from './override.js';
import { meanConfig, sumConfig } from './reduce.js';
import { tileConfig } from './tile.js';
import { transposeConfig } from './transpose.js';

/**
 * The kernels Bears registers on 'wasm'. Three are missing from tfjs-backend-wasm 4.22
 * (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput/Filter). MaxPoolGrad exists but drops
 * the gradient of all-negative windows. The others exist but are slow on the shapes a training step
 * produces (Conv2DBackpropInput is a naive loop; Tile, Sum and Mean index every element; Identity
 * and same-dtype Cast copy; transposed BatchMatMul is a scalar loop): ours add fast paths and fall back to tfjs's kernel otherwise.
 */
export const trainingKernelConfigs: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  maxPoolGradConfig,
  tileConfig,
  sumConfig,
  meanConfig,
  identityConfig,
  castConfig,
  transposeConfig,
  batchMatMulConfig,
  fusedBatchNormConfig,
  minimumConfig,
  maximumConfig,
  ...binaryConfigs,
  gateGradConfig,
  batchNormGradSumsConfig,
];

/**
 * Registers the training kernels on 'wasm' (before or after the backend starts) and the fused
 * gradients that use them (on wasm only; other backends keep tfjs's). Idempotent.
 */
export function registerTrainingKernels(): void {
  for (const config of trainingKernelConfigs) installKernel(config);
  registerFusedGradients();
}
