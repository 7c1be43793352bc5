import * as tf from '@tensorflow/tfjs-core';
import { randomData } from './check.js';
import type { ConformanceCase, Scale } from './types.js';

/**
 * Stripes: class 0 horizontal, class 1 vertical, with noise. Each image is [size, size, 3].
 */
function stripes(batch: number, size: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const noise = randomData(batch * size * size * 3, seed);
  const x = new Float32Array(batch * size * size * 3);
  const labels = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const cls = b % 2;
    labels[b] = cls;
    const phase = (b >> 1) % 2;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) for (let c = 0; c < 3; c++) {
      const k = ((b * size + i) * size + j) * 3 + c;
      const on = ((cls === 0 ? i : j) + phase) % 2 === 0;
      x[k] = (on ? 1 : -1) + 0.3 * noise[k]!;
    }
  }
  return { x, labels };
}

/**
 * A small CNN (conv + batch norm + relu, depthwise stride 2 + batch norm + relu6, pointwise conv,
 * max pool, global average pool, dense) trained with plain SGD on tf.variableGrads: the loss must
 * fall, and the tensor count must stay flat from step to step.
 */
export function trainingCases(scale: Scale): ConformanceCase[] {
  const name = 'small CNN (conv, depthwise, batch norm, pooling, dense) loss falls with SGD';
  return [{
    group: 'training',
    name,
    async run() {
      const size = scale === 'full' ? 16 : 8;
      const batch = 8;
      const steps = scale === 'full' ? 40 : 25;
      const w = (shape: number[], seed: number, std: number) => tf.variable(tf.mul(tf.tensor(randomData(shape.reduce((a, b) => a * b, 1), seed), shape), std * Math.sqrt(3)));
      // Variables survive tidy; the initialisers do not.
      const params = tf.tidy(() => ({
        c1: w([3, 3, 3, 8], 90, Math.sqrt(2 / 27)),
        g1: tf.variable(tf.ones([8])), b1: tf.variable(tf.zeros([8])),
        dw: w([3, 3, 8, 1], 91, Math.sqrt(2 / 9)),
        g2: tf.variable(tf.ones([8])), b2: tf.variable(tf.zeros([8])),
        pw: w([1, 1, 8, 8], 92, Math.sqrt(2 / 8)),
        dense: w([8, 2], 93, Math.sqrt(1 / 8)), bias: tf.variable(tf.zeros([2])),
      }));
      const data = stripes(batch, size, 94);
      const x = tf.tensor4d(data.x, [batch, size, size, 3]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.labels, 'int32'), 2));
      const bn = (t: tf.Tensor4D, g: tf.Variable, b: tf.Variable) => {
        const { mean, variance } = tf.moments(t, [0, 1, 2]);
        return tf.batchNorm(t, mean, variance, b, g, 1e-3) as tf.Tensor4D;
      };
      const loss = () => tf.tidy(() => {
        let h = tf.relu(bn(tf.conv2d(x, params.c1 as tf.Tensor4D, 1, 'same'), params.g1, params.b1));
        h = tf.relu6(bn(tf.depthwiseConv2d(h, params.dw as tf.Tensor4D, 2, 'same'), params.g2, params.b2));
        h = tf.maxPool(tf.conv2d(h, params.pw as tf.Tensor4D, 1, 'valid'), 2, 2, 'same');
        const logits = tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, params.dense as tf.Tensor2D), params.bias);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      });
      const losses: number[] = [];
      const counts: number[] = [];
      try {
        for (let i = 0; i < steps; i++) {
          const { value, grads } = tf.variableGrads(loss);
          losses.push((await value.data())[0]!);
          tf.tidy(() => {
            for (const [k, g] of Object.entries(grads)) {
              const v = (params as Record<string, tf.Variable>)[Object.keys(params).find((p) => (params as Record<string, tf.Variable>)[p]!.name === k)!]!;
              v.assign(tf.sub(v, tf.mul(g, 0.2)));
            }
          });
          tf.dispose([value, ...Object.values(grads)]);
          counts.push(tf.memory().numTensors);
        }
      } finally {
        tf.dispose([x, y, ...Object.values(params)]);
      }
      if (losses.some((l) => !Number.isFinite(l))) throw new Error(`${name}: loss became non-finite: ${losses.map((l) => l.toFixed(3)).join(', ')}`);
      const first = losses[0]!;
      const last = (losses.at(-1)! + losses.at(-2)! + losses.at(-3)!) / 3;
      if (!(last < 0.6 * first)) {
        throw new Error(`${name}: loss did not fall enough (${first.toFixed(4)} -> ${last.toFixed(4)}, want < 60% of the first); losses ${losses.map((l) => l.toFixed(3)).join(', ')}`);
      }
      if (new Set(counts.slice(1)).size !== 1) throw new Error(`${name}: tensor count grows across steps: ${counts.join(', ')}`);
    },
  }];
}
