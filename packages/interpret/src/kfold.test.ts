import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLabelIssues } from './confident-learning.js';
import { crossValProbs, stratifiedFolds } from './kfold.js';
import { clusters } from './test-support/synthetic.js';

beforeAll(async () => {
  await useBackend('wasm', { env: null });
});

describe('k-fold out-of-sample probabilities', () => {
  it('stratified folds deal each class evenly', () => {
    const f = stratifiedFolds(Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]), 5, 3);
    for (let k = 0; k < 5; k++) expect(Array.from(f).filter((x) => x === k).length).toBe(2);
  });

  it('recover planted label errors through confident learning, deterministically, without leaking tensors', () => {
    const { features, labels, flipped, c, d, truth } = clusters({ perClass: 30, flips: 6, d: 8 });
    const before = tf.memory().numTensors;
    const p1 = crossValProbs(features, d, labels, c, { folds: 5, steps: 100, seed: 7 });
    const p2 = crossValProbs(features, d, labels, c, { folds: 5, steps: 100, seed: 7 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(p1)).toEqual(Array.from(p2));
    const r = findLabelIssues(p1, labels, c);
    const found = r.indices.filter((i) => flipped.includes(i));
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(found.length / r.indices.length).toBeGreaterThanOrEqual(0.8);
    for (const i of found) expect(r.suggested[i]).toBe(truth[i]);
  });
});
