/**
 * Outlier score of each item: mean cosine distance to its k nearest neighbours among the other
 * items of the same class (1 - cosine; unit rows given as an n*n cosine matrix). A photo of
 * something else than the class's subject sits far from all of them.
 */
export function knnOutlierScores(cosine: Float32Array, labels: Int32Array, k = 5, groups?: number[][]): Float32Array {
  const n = labels.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const skip = new Set(groups?.[i] ?? []);
    const d: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i && labels[j] === labels[i] && !skip.has(j)) d.push(1 - cosine[i * n + j]!);
    d.sort((a, b) => a - b);
    const near = d.slice(0, k);
    out[i] = near.length ? near.reduce((a, b) => a + b, 0) / near.length : 0;
  }
  return out;
}

/** Each value's rank among all, 0 (smallest) .. 1 (largest); ties share the lower rank. */
export function percentileRanks(values: ArrayLike<number>): Float32Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    out[i] = r > 0 && values[order[r - 1]!] === values[i] ? out[order[r - 1]!]! : n > 1 ? r / (n - 1) : 0;
  }
  return out;
}

/** Robust z-score per class: (x - median) / (1.4826 * MAD), computed among the items of each class. */
export function robustZByClass(values: ArrayLike<number>, labels: Int32Array): Float32Array {
  const out = new Float32Array(labels.length);
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => byClass.set(y, [...(byClass.get(y) ?? []), i]));
  for (const idx of byClass.values()) {
    const v = idx.map((i) => values[i]!).sort((a, b) => a - b);
    const med = v[Math.floor(v.length / 2)]!;
    const dev = v.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
    const mad = 1.4826 * dev[Math.floor(dev.length / 2)]! || 1e-9;
    for (const i of idx) out[i] = (values[i]! - med) / mad;
  }
  return out;
}
