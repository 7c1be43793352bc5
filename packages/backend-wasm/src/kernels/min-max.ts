import * as tf from '@tensorflow/tfjs-core';
import { originalKernel } from './override.js';

/**
 * Minimum/Maximum against a scalar as ClipByValue. tfjs-layers' relu6 is minimum(relu(x), 6), and
 * tfjs-wasm broadcasts the scalar with an index-per-element loop: it was 40% of MobileNet v1's
 * forward pass. ClipByValue is one tight native loop. Other shapes use tfjs's kernel.
 */
function clipKernel(kernelName: typeof tf.Minimum | typeof tf.Maximum): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as tf.BinaryInputs;
    const backend = args.backend as { readSync(id: tf.DataId): tf.backend_util.BackendValues };
    const fallback = () => originalKernel(kernelName)(args) as tf.TensorInfo;
    const [x, s] = tf.util.sizeFromShape((b as tf.TensorInfo).shape) === 1 ? [a, b] : [b, a];
    const xi = x as tf.TensorInfo;
    const si = s as tf.TensorInfo;
    // Only a float32 tensor against a float32 scalar whose broadcast leaves x's shape as it is.
    if (xi.dtype !== 'float32' || si.dtype !== 'float32' || tf.util.sizeFromShape(si.shape) !== 1 || si.shape.length > xi.shape.length) return fallback();
    const value = (backend.readSync(si.dataId) as Float32Array)[0]!;
    if (Number.isNaN(value)) return fallback();
    const attrs = kernelName === tf.Minimum ? { clipValueMin: -Infinity, clipValueMax: value } : { clipValueMin: value, clipValueMax: Infinity };
    return originalKernel(tf.ClipByValue)({ inputs: { x: xi }, backend: args.backend, attrs }) as tf.TensorInfo;
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

export const minimumConfig = clipKernel(tf.Minimum);
export const maximumConfig = clipKernel(tf.Maximum);
