import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { foldBatchNorm } from './fold-batch-norm.js';
import { loadModelFolder } from './node/load.js';

beforeAll(async () => {
  await useBackend('wasm', { env: null });
});

function convBnModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'c1' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu6', name: 'a1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'd1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn2', center: false }).apply(x) as tfl.SymbolicTensor;
  // Read twice: the BN folds but the activation after it must stay.
  const a = tfl.layers.activation({ activation: 'relu', name: 'a2' }).apply(x) as tfl.SymbolicTensor;
  const b = tfl.layers.globalAveragePooling2d({ name: 'gap0' }).apply(x) as tfl.SymbolicTensor;
  const p = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(a) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ units: 3, name: 'fc' }).apply(tfl.layers.concatenate().apply([p, b]) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: y });
  for (const name of ['bn1', 'bn2']) {
    const l = m.getLayer(name);
    l.setWeights(l.getWeights().map((w, i) => tf.add(tf.mul(tf.randomUniform(w.shape, 0.5, 1.5, 'float32', i + 1), 1), i === l.getWeights().length - 2 ? -1 : 0)));
  }
  return m;
}

describe('foldBatchNorm', () => {
  it('gives the same outputs with the BN layers (and fusable activations) gone', async () => {
    const m = convBnModel();
    const folded = await foldBatchNorm(m);
    expect(folded).not.toBe(m);
    const names = folded.layers.map((l) => l.name);
    expect(names).not.toContain('bn1');
    expect(names).not.toContain('bn2');
    expect(names).not.toContain('a1');
    expect(names).toContain('a2');
    const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 7);
    const want = m.predict(x) as tf.Tensor;
    const got = folded.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(want, got))).dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([x, want, got]);
    m.dispose();
    folded.dispose();
  });

  it('on the exported MobileNet classifier: same probabilities, 27 BN layers folded', async () => {
    const dir = inject('modelDir');
    const plain = await loadModelFolder(dir, { foldBatchNorm: false });
    const folded = await loadModelFolder(dir);
    expect(plain.folded).toBe(false);
    expect(folded.folded).toBe(true);
    const n = 2;
    const s = plain.inputSize;
    const input = new Float32Array(n * s * s * 3).map((_, i) => Math.sin(i * 0.37));
    const a = await plain.predictPrepared(input, n);
    const b = await folded.predictPrepared(input, n);
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) expect(b[i]!.probabilities[k]).toBeCloseTo(a[i]!.probabilities[k]!, 4);
    const layers = (folded as unknown as { model: tfl.LayersModel }).model.layers;
    expect(layers.filter((l) => l.getClassName() === 'BatchNormalization').length).toBe(2); // the head's, after pooling and dense
    plain.dispose();
    folded.dispose();
  });

  it('returns the same model when nothing folds', async () => {
    const input = tfl.input({ shape: [4] });
    const m = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor });
    expect(await foldBatchNorm(m)).toBe(m);
    m.dispose();
  });
});
