import { describe, expect, it } from 'vitest';
import { findDuplicates } from './duplicates.js';

const item = (file: string, label: string, split: 'train' | 'valid', pixelHash: string, phash: string) => ({ file, label, split, pixelHash, phash });

describe('findDuplicates', () => {
  const items = [
    item('a/1.jpg', 'a', 'train', 'p1', '0000000000000000'),
    item('a/2.jpg', 'a', 'valid', 'p1', '0000000000000000'), // exact copy of 1, leaks into valid
    item('b/3.jpg', 'b', 'train', 'p3', 'ffff0000ffff0000'),
    item('a/4.jpg', 'a', 'train', 'p4', 'ffff0000ffff0003'), // 2 bits from 3: near, across classes
    item('b/5.jpg', 'b', 'train', 'p5', '123456789abcdef0'),
    item('b/6.jpg', 'b', 'train', 'p6', '0fedcba987654321'),
  ];

  it('groups exact and near duplicates and says which cross classes or splits', () => {
    const r = findDuplicates(items);
    expect(r.groups).toEqual([
      { kind: 'near', files: ['b/3.jpg', 'a/4.jpg'], similarity: expect.closeTo(62 / 64, 3), crossClass: true, crossSplit: false },
      { kind: 'exact', files: ['a/1.jpg', 'a/2.jpg'], similarity: 1, crossClass: false, crossSplit: true },
    ]);
    expect(r.partners[0]).toEqual([1]);
    expect(r.partners[4]).toEqual([]);
    expect(r.best[3]).toEqual({ kind: 'near', similarity: 62 / 64, other: 2 });
  });

  it('uses embedding cosine for near duplicates the hashes miss', () => {
    const n = items.length;
    const cos = new Float32Array(n * n);
    cos[4 * n + 5] = cos[5 * n + 4] = 0.97;
    const r = findDuplicates(items, cos, { minCosine: 0.95 });
    expect(r.groups.find((g) => g.files.includes('b/5.jpg'))).toEqual({ kind: 'near', files: ['b/5.jpg', 'b/6.jpg'], similarity: 0.97, crossClass: false, crossSplit: false });
    expect(findDuplicates(items, cos, { minCosine: 0.99 }).groups).toHaveLength(2);
  });

  it('chains pairs into one group', () => {
    const chain = [item('x/1', 'x', 'train', 'q1', '0000000000000000'), item('x/2', 'x', 'train', 'q2', '000000000000000f'), item('x/3', 'x', 'train', 'q3', '00000000000000ff')];
    const r = findDuplicates(chain, undefined, { maxHamming: 4 });
    expect(r.groups).toHaveLength(1);
    expect(r.groups[0]!.files).toEqual(['x/1', 'x/2', 'x/3']);
  });
});
