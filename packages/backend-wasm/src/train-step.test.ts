import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
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

  it('gives the same gradients as tfjs-backend-cpu (MobileNetV2 at 48x48, batch 2)', async () => {
    // Not smaller: at 32x32 the last feature maps are 1x1 and batch norm over 2 values is ill-conditioned (48x48: 2x2).
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const model = new MobileNetV2({ classes: 5, seed: 3 });
      const x = tf.randomNormal([2, 48, 48, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5));
      try {
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)) as tf.Scalar, model.variables);
        const out = { loss: value.dataSync()[0]!, grads: model.variables.map((v) => grads[v.name]!.dataSync() as Float32Array) };
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      } finally {
        tf.dispose([x, y]);
        model.dispose();
      }
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    await tf.setBackend('wasm');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4);
    // Parameters whose gradient is float noise (biases that batch norm cancels, ~1e-6) are skipped.
    const bad: string[] = [];
    cpu.grads.forEach((ref, i) => {
      let scale = 0, diff = 0;
      for (let k = 0; k < ref.length; k++) {
        scale = Math.max(scale, Math.abs(ref[k]!));
        diff = Math.max(diff, Math.abs(wasm.grads[i]![k]! - ref[k]!));
      }
      if (scale > 1e-4 && diff > 5e-3 * scale) bad.push(`param ${i}: max |diff| ${diff} vs max |grad| ${scale}`);
    });
    expect(bad).toEqual([]);
  }, 120_000);
});
