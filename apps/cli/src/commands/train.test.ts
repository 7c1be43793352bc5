import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '@bears/learner';
import { unfreezeJumpNote } from './train.js';

const rec = (validLoss: number): EpochRecord => ({ epoch: 0, trainLoss: 0.3, validLoss, metrics: {}, time: 1 });

describe('bears train: explaining the unfrozen phase', () => {
  it('says why the first unfrozen epoch jumped, and where it went', () => {
    const note = unfreezeJumpNote([rec(0.3), rec(0.2)], [rec(1.04), rec(0.15)]);
    expect(note).toMatch(/^note: valid_loss jumped from 0\.2000 to 1\.0400 in the first unfrozen epoch, .*came back to 0\.1500\.$/);
  });

  it('says nothing when there is no jump', () => {
    expect(unfreezeJumpNote([rec(0.2)], [rec(0.21), rec(0.18)])).toBeUndefined();
    expect(unfreezeJumpNote([], [rec(1)])).toBeUndefined();
  });
});
