/** Rows of an n*d matrix centred on their mean and scaled to unit length (so dot = cosine). */
export function normalizedRows(features: Float32Array, d: number): Float32Array {
  const n = d ? features.length / d : 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += features[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const v = features[i * d + j]! - mean[j]!;
      out[i * d + j] = v;
      norm += v * v;
    }
    const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < d; j++) out[i * d + j]! *= s;
  }
  return out;
}

/** n*n cosine similarities of unit rows. */
export function cosineMatrix(unit: Float32Array, d: number): Float32Array {
  const n = d ? unit.length / d : 0;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    out[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += unit[i * d + k]! * unit[j * d + k]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}
