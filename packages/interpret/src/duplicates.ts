import { hammingDistance } from './facts.js';
import type { DuplicateGroup } from './types.js';

export interface DuplicateItem {
  file: string;
  label: string;
  split: 'train' | 'valid';
  pixelHash?: string;
  phash?: string;
}

export interface DuplicateOptions {
  /** pHash bits that may differ for a near duplicate (default 6 of 64). */
  maxHamming?: number;
  /** Embedding cosine (centred features) at or above which two images are near duplicates (default 0.92). */
  minCosine?: number;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) i = this.parent[i] = this.parent[this.parent[i]!]!;
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

export interface Duplicates {
  groups: DuplicateGroup[];
  /** For each item, the other members of its group (empty when it has none). */
  partners: number[][];
  /** For each item, the kind and similarity of its closest partner. */
  best: Array<{ kind: 'exact' | 'near'; similarity: number; other: number } | undefined>;
}

/**
 * Exact duplicates (same decoded pixels) and near ones (pHash within maxHamming bits, or mutual
 * nearest neighbours in the embedding with cosine >= minCosine), grouped transitively. Each group says whether it spans classes (one of
 * them is mislabeled) or train and valid (leakage that flatters the validation error).
 */
export function findDuplicates(items: DuplicateItem[], cosine?: Float32Array, options: DuplicateOptions = {}): Duplicates {
  const n = items.length;
  const maxHam = options.maxHamming ?? 6;
  const minCos = options.minCosine ?? 0.92;
  const uf = new UnionFind(n);
  const best: Duplicates['best'] = new Array(n).fill(undefined);
  const pairSim = new Map<string, { kind: 'exact' | 'near'; sim: number }>();
  const note = (i: number, j: number, kind: 'exact' | 'near', sim: number) => {
    uf.union(i, j);
    pairSim.set(`${i},${j}`, { kind, sim });
    for (const [a, b] of [[i, j], [j, i]] as const) {
      const cur = best[a];
      if (!cur || (kind === 'exact' && cur.kind !== 'exact') || (kind === cur.kind && sim > cur.similarity)) best[a] = { kind, similarity: sim, other: b };
    }
  };
  // Embedding similarity alone links only mutual nearest neighbours: a whole class of look-alikes
  // must not chain into one giant group (pHash and exact pixels still link freely).
  const nearest = new Int32Array(n).fill(-1);
  if (cosine) {
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      for (let j = 0; j < n; j++) if (j !== i && cosine[i * n + j]! > best) (best = cosine[i * n + j]!), (nearest[i] = j);
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = items[i]!;
      const b = items[j]!;
      if (a.pixelHash && a.pixelHash === b.pixelHash) {
        note(i, j, 'exact', 1);
        continue;
      }
      const ham = a.phash && b.phash ? hammingDistance(a.phash, b.phash) : 64;
      const cos = cosine ? cosine[i * n + j]! : -1;
      const mutual = nearest[i] === j && nearest[j] === i;
      if (ham <= maxHam || (mutual && cos >= minCos)) note(i, j, 'near', Math.max(1 - ham / 64, mutual ? cos : -1));
    }
  }
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) if (best[i]) members.set(uf.find(i), [...(members.get(uf.find(i)) ?? []), i]);
  const partners: number[][] = Array.from({ length: n }, () => []);
  const groups: DuplicateGroup[] = [];
  for (const idx of members.values()) {
    let exact = true;
    let sim = 1;
    for (let x = 0; x < idx.length; x++) {
      for (let y = x + 1; y < idx.length; y++) {
        const p = pairSim.get(`${idx[x]},${idx[y]}`);
        if (!p) continue;
        if (p.kind !== 'exact') exact = false;
        sim = Math.min(sim, p.sim);
      }
    }
    for (const i of idx) partners[i] = idx.filter((j) => j !== i);
    groups.push({
      kind: exact ? 'exact' : 'near',
      files: idx.map((i) => items[i]!.file),
      similarity: Number(sim.toFixed(4)),
      crossClass: new Set(idx.map((i) => items[i]!.label)).size > 1,
      crossSplit: new Set(idx.map((i) => items[i]!.split)).size > 1,
    });
  }
  groups.sort((a, b) => Number(b.crossClass) - Number(a.crossClass) || b.similarity - a.similarity || (a.files[0]! < b.files[0]! ? -1 : 1));
  return { groups, partners, best };
}
