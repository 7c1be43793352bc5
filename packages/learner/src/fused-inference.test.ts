import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fusedInference } from './fused-inference.js';
import { wasm } from './test-support/fixtures.js';

beforeAll(async () => {
  await wasm();
});

/** conv -> bn -> relu6 -> depthwise -> bn -> relu6 (fusable), then a bn feeding two layers and a bn -> relu (not). */
function model(): tfl.LayersModel {
  const input = tfl.input({ shape: [10, 10, 5] });
  let x = tfl.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu6' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false, depthwiseInitializer: tfl.initializers.heNormal({ seed: 2 }) }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu6' }).apply(x) as tfl.SymbolicTensor;
  const shared = tfl.layers.batchNormalization({ name: 'bn3' }).apply(x) as tfl.SymbolicTensor;
  const a = tfl.layers.activation({ activation: 'relu6' }).apply(shared) as tfl.SymbolicTensor;
  const b = tfl.layers.activation({ activation: 'linear' }).apply(shared) as tfl.SymbolicTensor;
  x = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn4' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor });
  // Running statistics and affine parameters far from the identity, so every term of the fold counts.
  let seed = 10;
  for (const name of ['bn1', 'bn2', 'bn3', 'bn4']) {
    const l = m.getLayer(name);
    const c = l.getWeights()[0]!.shape[0]!;
    l.setWeights([tf.randomNormal([c], 1, 0.7, 'float32', seed++), tf.randomNormal([c], 0, 2, 'float32', seed++), tf.randomNormal([c], 0.5, 1, 'float32', seed++), tf.randomUniform([c], 0.01, 3, 'float32', seed++)]);
  }
  return m;
}

async function kernels(fn: () => void): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const k of (await tf.profile(fn)).kernels) counts[k.name] = (counts[k.name] ?? 0) + 1;
  return counts;
}

describe('fusedInference', () => {
  it('runs each batch norm that feeds only a relu6 as one fused depthwise op, with the same output bits', async () => {
    const m = model();
    const x = tf.randomNormal([3, 10, 10, 5], 0, 3, 'float32', 5);
    const plain = m.predict(x) as tf.Tensor;
    const before = await kernels(() => tf.dispose(m.predict(x) as tf.Tensor));
    expect(before.FusedBatchNorm).toBe(4);
    const tensors = tf.memory().numTensors;
    const fused = fusedInference(m, true, () => m.predict(x) as tf.Tensor);
    // Same bits, not just close: extraction and predict give what they gave before.
    expect(Array.from(fused.dataSync())).toEqual(Array.from(plain.dataSync()));
    fused.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    const after = await kernels(() => tf.dispose(fusedInference(m, true, () => m.predict(x) as tf.Tensor)));
    // bn1 and bn2 fused; bn3 (two consumers) and bn4 (plain relu) as they were.
    expect(after.FusedBatchNorm).toBe(2);
    expect(after.FusedDepthwiseConv2D).toBe(2); // the model's own depthwise layer runs DepthwiseConv2dNative
    expect(after.Minimum ?? 0).toBe((before.Minimum ?? 0) - 2);
    tf.dispose([x, plain]);
    m.dispose();
  });

  it('leaves training-mode calls, calls outside it and disabled calls unfused', async () => {
    const m = model();
    const x = tf.randomNormal([2, 10, 10, 5], 0, 3, 'float32', 6);
    fusedInference(m, true, () => tf.dispose(m.predict(x) as tf.Tensor)); // patches the layers
    expect((await kernels(() => tf.dispose(m.predict(x) as tf.Tensor))).FusedBatchNorm).toBe(4);
    expect((await kernels(() => tf.dispose(fusedInference(m, false, () => m.predict(x) as tf.Tensor)))).FusedBatchNorm).toBe(4);
    const train = (await kernels(() => tf.dispose(fusedInference(m, true, () => m.apply(x, { training: true }) as tf.Tensor)))).FusedBatchNorm;
    expect(train).toBe(4);
    // A forward that throws leaves fusion off afterwards.
    expect(() => fusedInference(m, true, () => { throw new Error('boom'); })).toThrow('boom');
    expect((await kernels(() => tf.dispose(m.predict(x) as tf.Tensor))).FusedBatchNorm).toBe(4);
    x.dispose();
    m.dispose();
  });
});
