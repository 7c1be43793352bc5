import { describe, expect, it } from 'vitest';
import { confidentJoint, findLabelIssues, labelQualityScores, perClassThresholds, roundPreservingRowTotals } from './confident-learning.js';
import { clusters, confidentProbs } from './test-support/synthetic.js';

describe('confident learning', () => {
  const { truth, labels, flipped, c } = clusters({ perClass: 20, flips: 6 });
  const probs = confidentProbs(truth, c, 0.9);

  it('per-class thresholds are the mean p(k) over items labelled k', () => {
    const t = perClassThresholds(probs, labels, c);
    // Class 0 has 20 items minus 2 flipped out plus 2 flipped in from class 2 (p = 0.05 each).
    const in0 = labels.filter((y) => y === 0).length;
    const wrongIn0 = flipped.filter((i) => labels[i] === 0).length;
    expect(t[0]).toBeCloseTo(((in0 - wrongIn0) * 0.9 + wrongIn0 * 0.05) / in0, 5);
  });

  it('the calibrated joint puts the flips off the diagonal and rows sum to the label counts', () => {
    const j = confidentJoint(probs, labels, c);
    for (let k = 0; k < c; k++) {
      const row = Array.from(j.joint.subarray(k * c, (k + 1) * c)).reduce((a, b) => a + b, 0);
      expect(row).toBe(labels.filter((y) => y === k).length);
    }
    const off = Array.from(j.raw).reduce((a, v, idx) => a + (Math.floor(idx / c) === idx % c ? 0 : v), 0);
    expect(off).toBe(flipped.length);
  });

  it('finds exactly the planted label errors, worst first', () => {
    const r = findLabelIssues(probs, labels, c);
    expect([...r.indices].sort((a, b) => a - b)).toEqual(flipped);
    for (const i of flipped) expect(r.suggested[i]).toBe(truth[i]);
    expect(r.quality[r.indices[0]!]).toBeLessThanOrEqual(r.quality[r.indices[r.indices.length - 1]!]!);
  });

  it('flags nothing when every label agrees with a confident model', () => {
    expect(findLabelIssues(probs, truth, c).indices).toEqual([]);
  });

  it('quality scores: self-confidence and normalized margin', () => {
    const p = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.3, 0.6]);
    const y = Int32Array.from([0, 0]);
    expect(Array.from(labelQualityScores(p, y, 3, 'self_confidence'))).toEqual([expect.closeTo(0.7, 6), expect.closeTo(0.1, 6)]);
    expect(Array.from(labelQualityScores(p, y, 3, 'normalized_margin'))).toEqual([expect.closeTo(0.75, 6), expect.closeTo(0.25, 6)]);
  });

  it('rounds rows keeping their totals', () => {
    expect(Array.from(roundPreservingRowTotals(Float64Array.from([1.5, 1.5, 0, 0.2, 0.3, 2.5, 1, 1, 1]), 3))).toEqual([2, 1, 0, 0, 0, 3, 1, 1, 1]);
  });

  it('rejects mismatched shapes and labels out of range', () => {
    expect(() => findLabelIssues(new Float32Array(5), Int32Array.from([0, 1]), 3)).toThrow(/expected 2 x 3/);
    expect(() => findLabelIssues(new Float32Array(6), Int32Array.from([0, 3]), 3)).toThrow(/not a class index/);
  });
});
