import { describe, expect, it } from 'vitest';
import { addInto, dropoutCounters, microBatchSizes, packLayout, setDropoutCounters, splitMicroBatches, sumLosses, sumPartials } from './data-parallel.js';

describe('microBatchSizes', () => {
  it('cuts as trainStep does: micro each, the rest last', () => {
    expect(microBatchSizes(8, 3)).toEqual([3, 3, 2]);
    expect(microBatchSizes(64, 3)).toHaveLength(22);
    expect(microBatchSizes(4, 8)).toEqual([4]);
    expect(() => microBatchSizes(0, 3)).toThrow(RangeError);
  });
});

describe('splitMicroBatches', () => {
  it('gives contiguous runs covering every micro-batch once, in order', () => {
    for (const [n, micro, r] of [[64, 3, 2], [38, 3, 2], [8, 3, 2], [16, 3, 4], [5, 1, 3], [7, 2, 8]] as const) {
      const sizes = microBatchSizes(n, micro);
      const shares = splitMicroBatches(sizes, r);
      expect(shares.length).toBe(Math.min(r, sizes.length));
      expect(shares.flatMap((s) => s.sizes)).toEqual(sizes);
      let first = 0;
      let start = 0;
      for (const s of shares) {
        expect(s.sizes.length).toBeGreaterThan(0);
        expect(s.first).toBe(first);
        expect(s.start).toBe(start);
        expect(s.rows).toBe(s.sizes.reduce((a, b) => a + b, 0));
        first += s.sizes.length;
        start += s.rows;
      }
      expect(start).toBe(n);
    }
  });

  it('balances rows: the largest run is as small as a contiguous split allows', () => {
    expect(splitMicroBatches(microBatchSizes(64, 3), 2).map((s) => s.rows)).toEqual([33, 31]);
    expect(splitMicroBatches([3, 3, 3, 3, 3, 1], 2).map((s) => s.rows)).toEqual([9, 7]);
    expect(splitMicroBatches([3, 3, 2], 2).map((s) => s.rows)).toEqual([3, 5]);
    expect(splitMicroBatches([4], 2).map((s) => s.rows)).toEqual([4]);
  });
});

describe('packing and sums', () => {
  it('lays tensors end to end', () => {
    expect(packLayout([[2, 3], [4], []])).toEqual({ offsets: [0, 6, 10], sizes: [6, 4, 1], total: 11 });
  });

  it('adds in float32 and keeps a tensor absent only when no replica reached it', () => {
    const a = { grads: new Float32Array([1, 2, 0]), present: new Uint8Array([1, 1, 0]) };
    const b = { grads: new Float32Array([0.5, 1e-8, 0]), present: new Uint8Array([1, 0, 0]) };
    const s = sumPartials([a, b]);
    expect(Array.from(s.grads)).toEqual([1.5, Math.fround(2 + 1e-8), 0]);
    expect(Array.from(s.present)).toEqual([1, 1, 0]);
    expect(Array.from(a.grads)).toEqual([1, 2, 0]); // inputs untouched
    expect(() => addInto(new Float32Array(2), new Float32Array(3))).toThrow(RangeError);
    expect(sumLosses([[0.25, 0.5], [0.125]])).toBe(0.875);
  });
});

describe('dropout counters', () => {
  it('reads and sets the counters of the layers that have them, in order', () => {
    const layers = [{ name: 'bn' }, { calls: 3 }, { name: 'dense' }, { calls: 7 }];
    expect(dropoutCounters(layers)).toEqual([3, 7]);
    setDropoutCounters(layers, [10, 20]);
    expect(dropoutCounters(layers)).toEqual([10, 20]);
    expect(() => setDropoutCounters(layers, [1])).toThrow(RangeError);
  });
});
