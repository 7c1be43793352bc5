import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel } from './override.js';

/**
 * Identity and same-dtype Cast share the input's buffer (reference counted, as tfjs-backend-cpu and
 * tfjs-wasm's own Reshape do) instead of copying it. tfjs's gradients call them thousands of times
 * per training step (clone, cast of a float mask to float) on activation-sized tensors. Safe because
 * no wasm kernel writes into its inputs.
 */
function share(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function identity(args: { inputs: tf.IdentityInputs; backend: BackendWasm }): tf.TensorInfo {
  return share(args.backend, args.inputs.x as tf.TensorInfo);
}

export function cast(args: { inputs: tf.CastInputs; backend: BackendWasm; attrs: tf.CastAttrs }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === args.attrs.dtype && x.dtype !== 'string') return share(args.backend, x);
  return originalKernel(tf.Cast)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

export const identityConfig: tf.KernelConfig = { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identity as unknown as tf.KernelFunc };
export const castConfig: tf.KernelConfig = { kernelName: tf.Cast, backendName: 'wasm', kernelFunc: cast as unknown as tf.KernelFunc };
