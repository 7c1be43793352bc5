import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js';
import { MobileNetV2, trainStep } from './bench/mobilenet-v2.js';

// A MobileNet-sized training step (the full MobileNetV2 at 224x224, batch 2) on wasm: every
// kernel of forward, backward and update must exist on wasm and every parameter must move.
describe('MobileNetV2 training step on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm', { env: null });
  });

  it('runs forward + backward + update at 224x224, updates every parameter, leaks nothing', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const model = new MobileNetV2({ classes: 3, seed: 3 });
    const optimizer = tf.train.momentum(0.05, 0.9);
    const x = tf.randomNormal([2, 224, 224, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3)) as tf.Tensor2D;
    try {
      const before = await Promise.all(model.variables.map((v) => v.data()));
      const loss1 = trainStep(model, optimizer, x, y);
      const count = tf.memory().numTensors;
      const after = await Promise.all(model.variables.map((v) => v.data()));
      const frozen = model.variables.filter((_, i) => after[i]!.every((a, j) => a === before[i]![j]));
      expect(frozen.map((v) => `${v.name} [${v.shape}]`)).toEqual([]);
      const loss2 = trainStep(model, optimizer, x, y, 1); // micro-batches of 1 take the accumulation path
      expect(Number.isFinite(loss1) && Number.isFinite(loss2)).toBe(true);
      expect(tf.memory().numTensors).toBe(count);
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  }, 120_000);
});
