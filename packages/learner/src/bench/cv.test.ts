import { describe, expect, it } from 'vitest';
import { meanStd, stratifiedFolds } from './cv.js';

describe('stratifiedFolds', () => {
  const files = ['black', 'grizzly', 'teddy'].flatMap((label, c) => Array.from({ length: 20 + 7 * c }, (_, i) => ({ file: `${label}/${i}.jpg`, label })));

  it('deals every class evenly over k folds, the same way every time and whatever the input order', () => {
    const fold = stratifiedFolds(files, 5, 42);
    expect(fold.every((f) => f >= 0 && f < 5)).toBe(true);
    for (const label of ['black', 'grizzly', 'teddy']) {
      const counts = [0, 1, 2, 3, 4].map((k) => files.filter((f, i) => f.label === label && fold[i] === k).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(stratifiedFolds(files, 5, 42)).toEqual(fold);
    const reversed = [...files].reverse();
    const again = stratifiedFolds(reversed, 5, 42);
    reversed.forEach((f, i) => expect(again[i]).toBe(fold[files.indexOf(f)]));
    expect(stratifiedFolds(files, 5, 7)).not.toEqual(fold);
  });

  it('meanStd is the mean and the sample standard deviation', () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanStd([5])).toEqual({ mean: 5, std: 0 });
  });
});
