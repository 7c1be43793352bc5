import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import { describe, expect, it } from 'vitest';
import './index.js';

describe('wasm plugin', () => {
  it('is chosen by auto and runs ops', async () => {
    const active = await useBackend('auto', { env: null });
    expect(active.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(active.capabilities.canTrain).toBe(true);
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]));
    expect(Array.from(await y.data())).toEqual([3, 3, 3, 3]);
  });
});
