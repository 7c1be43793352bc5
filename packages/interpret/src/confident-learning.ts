// Confident learning (Northcutt et al.), as cleanlab's find_label_issues computes it with
// filter_by='prune_by_noise_rate': per-class thresholds, the confident joint calibrated to the
// label counts, then per (given, likely-true) cell the examples with the largest margin.

/** Rows of an n*c matrix as a view helper. */
function row(probs: Float32Array, c: number, i: number): Float32Array {
  return probs.subarray(i * c, (i + 1) * c);
}

function check(probs: Float32Array, labels: Int32Array, c: number): number {
  const n = labels.length;
  if (probs.length !== n * c) throw new RangeError(`probs has ${probs.length} values, expected ${n} x ${c}`);
  for (let i = 0; i < n; i++) if (!(labels[i]! >= 0 && labels[i]! < c)) throw new RangeError(`label ${labels[i]} of item ${i} is not a class index < ${c}`);
  return n;
}

/** t_k = mean predicted probability of class k over the items labelled k. */
export function perClassThresholds(probs: Float32Array, labels: Int32Array, c: number): Float64Array {
  const n = check(probs, labels, c);
  const sum = new Float64Array(c);
  const count = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    sum[labels[i]!] += probs[i * c + labels[i]!]!;
    count[labels[i]!]++;
  }
  return sum.map((s, k) => (count[k] ? s / count[k]! : 1));
}

export interface ConfidentJoint {
  /** c*c counts, row = given label, column = likely true label (calibrated, integer). */
  joint: Int32Array;
  /** The uncalibrated counts. */
  raw: Int32Array;
  thresholds: Float64Array;
  /** Per item: the confidently predicted class, or -1 when no class reaches its threshold. */
  confidentLabel: Int32Array;
}

/** Rounds each row of a matrix to integers keeping its (rounded) total: largest remainders win. */
export function roundPreservingRowTotals(m: Float64Array, c: number): Int32Array {
  const out = new Int32Array(c * c);
  for (let r = 0; r < c; r++) {
    const vals = Array.from(m.subarray(r * c, (r + 1) * c));
    const total = Math.round(vals.reduce((a, b) => a + b, 0));
    const floors = vals.map(Math.floor);
    let left = total - floors.reduce((a, b) => a + b, 0);
    const order = vals.map((v, j) => [v - Math.floor(v), j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, j] of order) {
      if (left <= 0) break;
      floors[j]!++;
      left--;
    }
    floors.forEach((v, j) => (out[r * c + j] = v));
  }
  return out;
}

/**
 * The confident joint C[given][true]: item i counts in row labels[i], column = the most likely
 * class among those whose probability reaches their threshold. Calibrated so row k sums to the
 * number of items labelled k (and the whole to n).
 */
export function confidentJoint(probs: Float32Array, labels: Int32Array, c: number): ConfidentJoint {
  const n = check(probs, labels, c);
  const thresholds = perClassThresholds(probs, labels, c);
  const raw = new Int32Array(c * c);
  const confidentLabel = new Int32Array(n).fill(-1);
  const labelCounts = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    labelCounts[labels[i]!]++;
    const p = row(probs, c, i);
    let best = -1;
    for (let k = 0; k < c; k++) if (p[k]! >= thresholds[k]! - 1e-6 && (best < 0 || p[k]! > p[best]!)) best = k;
    confidentLabel[i] = best;
    if (best >= 0) raw[labels[i]! * c + best]++;
  }
  const cal = new Float64Array(c * c);
  for (let r = 0; r < c; r++) {
    let rowSum = 0;
    for (let j = 0; j < c; j++) rowSum += raw[r * c + j]!;
    for (let j = 0; j < c; j++) cal[r * c + j] = rowSum ? (raw[r * c + j]! / rowSum) * labelCounts[r]! : j === r ? labelCounts[r]! : 0;
  }
  return { joint: roundPreservingRowTotals(cal, c), raw, thresholds, confidentLabel };
}

/** cleanlab's label quality: 'self_confidence' = p[label]; 'normalized_margin' = (p[label] - max other + 1) / 2. Low = suspicious. */
export function labelQualityScores(probs: Float32Array, labels: Int32Array, c: number, method: 'self_confidence' | 'normalized_margin' = 'self_confidence'): Float32Array {
  const n = check(probs, labels, c);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = row(probs, c, i);
    const y = labels[i]!;
    if (method === 'self_confidence') out[i] = p[y]!;
    else {
      let other = 0;
      for (let k = 0; k < c; k++) if (k !== y) other = Math.max(other, p[k]!);
      out[i] = (p[y]! - other + 1) / 2;
    }
  }
  return out;
}

export interface LabelIssueOptions {
  /** Keep at least this many items per given class (default 1, cleanlab's min_examples_per_class). */
  minPerClass?: number;
  /** How the flagged items are ordered (default 'self_confidence'). */
  rankBy?: 'self_confidence' | 'normalized_margin';
}

export interface LabelIssues {
  /** Indices of the flagged items, most likely wrong first. */
  indices: number[];
  mask: Uint8Array;
  /** Label quality of every item (low = suspicious). */
  quality: Float32Array;
  /** The calibrated confident joint and the thresholds. */
  joint: ConfidentJoint;
  /** For each item, the most likely true class (argmax of its probabilities). */
  suggested: Int32Array;
}

/**
 * find_label_issues with prune_by_noise_rate: for each off-diagonal cell (given k, true j) of the
 * calibrated confident joint, flag that many items labelled k with the largest p[j] - p[k];
 * then unflag items whose predicted class is their label. Probabilities must be out-of-sample.
 */
export function findLabelIssues(probs: Float32Array, labels: Int32Array, c: number, options: LabelIssueOptions = {}): LabelIssues {
  const n = check(probs, labels, c);
  const minPerClass = options.minPerClass ?? 1;
  const joint = confidentJoint(probs, labels, c);
  // cleanlab's _keep_at_least_n_per_class on the transposed joint: raise the diagonal to n,
  // taking the increase evenly from the non-zero noise cells of that row.
  const prune = Float64Array.from(joint.joint);
  for (let k = 0; k < c; k++) {
    const diag = prune[k * c + k]!;
    const raise = Math.max(0, minPerClass - diag);
    if (raise > 0) {
      let nz = 0;
      for (let j = 0; j < c; j++) if (j !== k && prune[k * c + j]! > 0) nz++;
      for (let j = 0; j < c; j++) if (j !== k) prune[k * c + j] = Math.max(0, prune[k * c + j]! - raise / Math.max(1, nz));
      prune[k * c + k] = diag + raise;
    }
  }
  const counts = roundPreservingRowTotals(prune, c);
  const mask = new Uint8Array(n);
  const byClass: number[][] = Array.from({ length: c }, () => []);
  for (let i = 0; i < n; i++) byClass[labels[i]!]!.push(i);
  for (let k = 0; k < c; k++) {
    if (byClass[k]!.length <= minPerClass) continue;
    for (let j = 0; j < c; j++) {
      const num = j === k ? 0 : counts[k * c + j]!;
      if (num <= 0) continue;
      const ranked = [...byClass[k]!].sort((a, b) => probs[b * c + j]! - probs[b * c + k]! - (probs[a * c + j]! - probs[a * c + k]!) || a - b);
      for (const i of ranked.slice(0, num)) mask[i] = 1;
    }
  }
  const suggested = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = row(probs, c, i);
    let best = 0;
    for (let k = 1; k < c; k++) if (p[k]! > p[best]!) best = k;
    suggested[i] = best;
    if (best === labels[i]) mask[i] = 0;
  }
  const quality = labelQualityScores(probs, labels, c, options.rankBy ?? 'self_confidence');
  const indices = [];
  for (let i = 0; i < n; i++) if (mask[i]) indices.push(i);
  indices.sort((a, b) => quality[a]! - quality[b]! || a - b);
  return { indices, mask, quality, joint, suggested };
}
