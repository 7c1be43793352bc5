import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { inferenceForward } from './forward.js';
import { wasm } from './test-support/fixtures.js';

beforeAll(async () => {
  await wasm();
});

/** conv -> batch norm -> relu6 -> pool -> dense softmax, with a second output on the conv (as getPreds' feature model). */
function model(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3] });
  const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  let x = tfl.layers.batchNormalization().apply(conv) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu6' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [conv, x] });
}

const input = (n: number) => tf.tensor4d(Float32Array.from({ length: n * 12 * 12 * 3 }, (_, i) => Math.sin(i * 0.37)), [n, 12, 12, 3]);

describe('inferenceForward', () => {
  it('gives the bits of model.predict, up to 32 rows and past them, with no tensor left behind', async () => {
    const m = model();
    for (const n of [1, 8, 32, 40]) {
      const x = input(n);
      const before = tf.memory().numTensors;
      const want = m.predict(x) as tf.Tensor[];
      const got = inferenceForward(m, x) as tf.Tensor[];
      expect(got).toHaveLength(2);
      for (let k = 0; k < 2; k++) expect(Array.from(await got[k]!.data()), `${n} rows, output ${k}`).toEqual(Array.from(await want[k]!.data()));
      tf.dispose([...want, ...got]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    }
    m.dispose();
  });

  it('does not read its input back out of the backend (predict slices it into batches, which on wasm copies it)', () => {
    const m = model();
    const x = input(8);
    const readSync = vi.spyOn(tf.backend(), 'readSync');
    const readsOfInput = () => readSync.mock.calls.filter(([id]) => id === x.dataId).length;
    tf.dispose(m.predict(x) as tf.Tensor[]);
    expect(readsOfInput()).toBeGreaterThan(0);
    readSync.mockClear();
    tf.dispose(inferenceForward(m, x) as tf.Tensor[]);
    expect(readsOfInput()).toBe(0);
    readSync.mockRestore();
    x.dispose();
    m.dispose();
  });
});
