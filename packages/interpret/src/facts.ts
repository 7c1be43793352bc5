import type { ImageFacts } from './types.js';

/** Pixels as the backend codecs decode them: RGB, row-major, 3 bytes per pixel. */
export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** 64-bit FNV-1a over the bytes plus the size, as 16 hex digits (no crypto needed, same in any runtime). */
export function pixelHash(img: Rgb): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ img.width ^ (img.height << 16);
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    h1 = Math.imul(h1 ^ d[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ d[i]! ^ (h1 >>> 7), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

function luminance(img: Rgb): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.299 * img.data[i * 3]! + 0.587 * img.data[i * 3 + 1]! + 0.114 * img.data[i * 3 + 2]!;
  return out;
}

/**
 * DCT perceptual hash of a 32x32 grey image (the classic pHash): the 8x8 lowest frequencies but
 * the DC term, each bit = above their median. Resized or recompressed copies differ in few bits.
 */
export function perceptualHash(grey32: Float32Array | Uint8Array): string {
  if (grey32.length !== 1024) throw new RangeError(`perceptualHash needs 32x32 grey values, got ${grey32.length}`);
  const cos = new Float64Array(8 * 32);
  for (let u = 0; u < 8; u++) for (let x = 0; x < 32; x++) cos[u * 32 + x] = Math.cos(((2 * x + 1) * u * Math.PI) / 64);
  const coeffs: number[] = [];
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < 32; y++) {
        const cy = cos[u * 32 + y]!;
        for (let x = 0; x < 32; x++) s += grey32[y * 32 + x]! * cy * cos[v * 32 + x]!;
      }
      coeffs.push(s);
    }
  }
  const ac = coeffs.slice(1);
  const median = [...ac].sort((a, b) => a - b)[Math.floor(ac.length / 2)]!;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 64; i++) {
    const bit = i === 0 ? 0 : coeffs[i]! > median ? 1 : 0;
    if (i < 32) hi = (hi << 1) | bit;
    else lo = (lo << 1) | bit;
  }
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** Bits that differ between two 16-hex-digit hashes. */
export function hammingDistance(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < 16; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      d++;
    }
  }
  return d;
}

/** Grey 32x32 by box averaging (for hashes when the caller has only a larger thumbnail). */
export function grey32(img: Rgb): Float32Array {
  const lum = luminance(img);
  const out = new Float32Array(1024);
  for (let y = 0; y < 32; y++) {
    const y0 = Math.floor((y * img.height) / 32);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * img.height) / 32));
    for (let x = 0; x < 32; x++) {
      const x0 = Math.floor((x * img.width) / 32);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * img.width) / 32));
      let s = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += lum[yy * img.width + xx]!;
      out[y * 32 + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/**
 * Image-quality measures in the spirit of cleanvision, from a small thumbnail (about 128 px) and
 * the original size. `hash` is the full-resolution pixel hash when the caller has it.
 */
export function imageFacts(thumb: Rgb, original: { width: number; height: number }, hash = pixelHash(thumb)): ImageFacts {
  const lum = luminance(thumb);
  const n = lum.length;
  const hist = new Float64Array(256);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    hist[Math.min(255, Math.round(lum[i]!))]++;
    sum += lum[i]!;
  }
  const percentile = (q: number) => {
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += hist[v]!;
      if (acc >= q * n) return v;
    }
    return 255;
  };
  let entropy = 0;
  for (let v = 0; v < 256; v++) if (hist[v]) entropy -= (hist[v]! / n) * Math.log2(hist[v]! / n);
  const { width: w, height: h } = thumb;
  let lapSum = 0;
  let lapSq = 0;
  let lapN = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = lum[i - 1]! + lum[i + 1]! + lum[i - w]! + lum[i + w]! - 4 * lum[i]!;
      lapSum += l;
      lapSq += l * l;
      lapN++;
    }
  }
  const lapMean = lapN ? lapSum / lapN : 0;
  let colour = 0;
  for (let i = 0; i < n; i++) {
    const r = thumb.data[i * 3]!;
    const g = thumb.data[i * 3 + 1]!;
    const b = thumb.data[i * 3 + 2]!;
    colour += (Math.abs(r - g) + Math.abs(g - b) + Math.abs(r - b)) / 3;
  }
  return {
    width: original.width,
    height: original.height,
    pixelHash: hash,
    phash: perceptualHash(grey32(thumb)),
    brightness: n ? sum / n : 0,
    darkP95: percentile(0.95),
    lightP05: percentile(0.05),
    sharpness: lapN ? lapSq / lapN - lapMean * lapMean : 0,
    entropy,
    colourfulness: n ? colour / n : 0,
  };
}

export interface QualityThresholds {
  /** 95th luminance percentile below this: dark (default 70). */
  dark: number;
  /** 5th luminance percentile above this: overexposed (default 200). */
  light: number;
  /** Laplacian variance below this: blurry (default 60). */
  blurry: number;
  /** Histogram entropy below this many bits: low information (default 4). */
  lowInformation: number;
  /** Longer side over shorter side above this: odd aspect ratio (default 2.5). */
  oddAspect: number;
  /** Shorter side below this many pixels: tiny (default 64). */
  tiny: number;
  /** Mean channel difference below this: greyscale (default 2). */
  grayscale: number;
}

export const defaultQualityThresholds: QualityThresholds = {
  dark: 70, light: 200, blurry: 60, lowInformation: 4, oddAspect: 2.5, tiny: 64, grayscale: 2,
};

/** The quality issues of one image, each named as in the ranking's reasons. */
export function qualityIssues(f: ImageFacts, t: QualityThresholds = defaultQualityThresholds): string[] {
  const out: string[] = [];
  if (f.darkP95 < t.dark) out.push('dark');
  if (f.lightP05 > t.light) out.push('overexposed');
  if (f.sharpness < t.blurry) out.push('blurry');
  if (f.entropy < t.lowInformation) out.push('low information');
  const aspect = Math.max(f.width, f.height) / Math.max(1, Math.min(f.width, f.height));
  if (aspect > t.oddAspect) out.push(`odd aspect ratio (${aspect.toFixed(1)}:1)`);
  if (Math.min(f.width, f.height) < t.tiny) out.push(`tiny (${f.width}x${f.height})`);
  if (f.colourfulness < t.grayscale) out.push('grayscale');
  return out;
}
