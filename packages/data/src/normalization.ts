/** Per-channel statistics applied to pixels/255: (x/255 - mean) / std. */
export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

/** ImageNet statistics (torchvision/fastai): what most pretrained ResNets expect. */
export const imagenetStats: Normalization = Object.freeze({
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
}) as Normalization;

/** Inception-style scaling to [-1, 1]: what MobileNet v1 (Keras/tfjs) expects. */
export const inceptionStats: Normalization = Object.freeze({
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
}) as Normalization;

/** No normalization: values stay x/255 in [0, 1]. */
export const unitStats: Normalization = Object.freeze({ mean: [0, 0, 0], std: [1, 1, 1] }) as Normalization;

export function checkNormalization(n: Normalization): Normalization {
  const ok = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!n || !ok(n.mean) || !ok(n.std) || n.std.some((s) => s <= 0)) {
    throw new TypeError(`normalize must be { mean: [r,g,b], std: [r,g,b] } with std > 0, got ${JSON.stringify(n)}`);
  }
  return n;
}

/** scale/offset per channel so that normalized = byte * scale[c] + offset[c]. */
export function normalizationAffine(n: Normalization): { scale: Float32Array; offset: Float32Array } {
  const scale = new Float32Array(3);
  const offset = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    scale[c] = 1 / (255 * n.std[c]!);
    offset[c] = -n.mean[c]! / n.std[c]!;
  }
  return { scale, offset };
}
