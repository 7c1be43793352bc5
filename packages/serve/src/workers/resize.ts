import type { RgbImage } from '@bears/backend';

export type Fit = 'cover' | 'fill' | 'contain';

/**
 * Resizes RGBA or RGB pixels to RGB [h, w] with the codecs' fits: 'fill' squishes, 'cover' crops
 * the centre, 'contain' letterboxes on white (as the browser codec does). Separable triangle filter
 * widened by the scale when shrinking (antialiased, like PIL's bilinear), so a 4000 px photo
 * shrunk to 224 is averaged, not sampled.
 */
export function resizeRgb(src: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: 3 | 4, outH: number, outW: number, fit: Fit = 'cover'): RgbImage {
  // Source window (cover) or destination window (contain) in pixels.
  let sx = 0, sy = 0, sw = width, sh = height;
  let dx = 0, dy = 0, dw = outW, dh = outH;
  if (fit === 'cover') {
    const scale = Math.max(outW / width, outH / height);
    sw = outW / scale;
    sh = outH / scale;
    sx = (width - sw) / 2;
    sy = (height - sh) / 2;
  } else if (fit === 'contain') {
    const scale = Math.min(outW / width, outH / height);
    dw = Math.max(1, Math.round(width * scale));
    dh = Math.max(1, Math.round(height * scale));
    dx = Math.floor((outW - dw) / 2);
    dy = Math.floor((outH - dh) / 2);
  }
  const xs = weights(sx, sw, width, dw);
  const ys = weights(sy, sh, height, dh);
  // Horizontal pass: height x dw x 3 floats.
  const tmp = new Float32Array(height * dw * 3);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < dw; x++) {
      const { start, w } = xs[x]!;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < w.length; k++) {
        const p = row + (start + k) * channels;
        const wk = w[k]!;
        r += src[p]! * wk;
        g += src[p + 1]! * wk;
        b += src[p + 2]! * wk;
      }
      const o = (y * dw + x) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = new Uint8Array(outW * outH * 3);
  if (fit === 'contain') out.fill(255);
  for (let y = 0; y < dh; y++) {
    const { start, w } = ys[y]!;
    for (let x = 0; x < dw; x++) {
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < w.length; k++) {
        const p = ((start + k) * dw + x) * 3;
        const wk = w[k]!;
        r += tmp[p]! * wk;
        g += tmp[p + 1]! * wk;
        b += tmp[p + 2]! * wk;
      }
      const o = ((y + dy) * outW + x + dx) * 3;
      out[o] = clamp(r);
      out[o + 1] = clamp(g);
      out[o + 2] = clamp(b);
    }
  }
  return { data: out, width: outW, height: outH };
}

const clamp = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Per output pixel: the first source index and normalized triangle weights over [offset, offset+len). */
function weights(offset: number, len: number, size: number, out: number): { start: number; w: Float32Array }[] {
  const scale = len / out;
  const support = Math.max(1, scale); // triangle half-width in source pixels
  const res: { start: number; w: Float32Array }[] = [];
  for (let i = 0; i < out; i++) {
    const centre = offset + (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(size - 1, Math.ceil(centre + support));
    const w = new Float32Array(hi - lo + 1);
    let sum = 0;
    for (let s = lo; s <= hi; s++) {
      const v = Math.max(0, 1 - Math.abs(s + 0.5 - centre) / support);
      w[s - lo] = v;
      sum += v;
    }
    if (sum === 0) {
      const nearest = Math.min(size - 1, Math.max(0, Math.floor(centre)));
      res.push({ start: nearest, w: Float32Array.of(1) });
      continue;
    }
    for (let k = 0; k < w.length; k++) w[k]! /= sum;
    res.push({ start: lo, w });
  }
  return res;
}
