import { hashUnit } from './prng.js';

export interface SplitInput {
  /** Stable key: the file's path relative to the dataset root, '/'-separated. */
  key: string;
  label: number;
}

/**
 * Deterministic train/valid split. Each file goes to valid when hash(seed, key) < validPct, so a
 * file's side never depends on which other files exist: adding unrelated files moves nothing.
 * With `stratify`, each class's files are ranked by the same hash and the lowest
 * round(n * validPct) go to valid: exact per-class fractions, and an added file moves at most
 * one other file of its class across the boundary.
 */
export function splitByHash<T extends SplitInput>(items: readonly T[], validPct: number, seed: number, stratify = false): { train: T[]; valid: T[] } {
  if (!(validPct >= 0 && validPct < 1)) throw new RangeError(`validPct must be in [0, 1), got ${validPct}`);
  const score = (t: T) => hashUnit(`${seed}\u0000${t.key}`);
  const validSet = new Set<T>();
  if (stratify) {
    const byLabel = new Map<number, Array<{ t: T; h: number }>>();
    for (const t of items) {
      let list = byLabel.get(t.label);
      if (!list) byLabel.set(t.label, (list = []));
      list.push({ t, h: score(t) });
    }
    for (const list of byLabel.values()) {
      list.sort((a, b) => a.h - b.h || (a.t.key < b.t.key ? -1 : 1));
      const n = Math.round(list.length * validPct);
      for (let i = 0; i < n; i++) validSet.add(list[i]!.t);
    }
  } else {
    for (const t of items) if (score(t) < validPct) validSet.add(t);
  }
  const train: T[] = [];
  const valid: T[] = [];
  for (const t of items) (validSet.has(t) ? valid : train).push(t);
  return { train, valid };
}
