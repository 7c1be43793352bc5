import { describe, expect, it } from 'vitest';
import { unitStats, imagenetStats } from './normalization.js';
import { Rng } from './prng.js';
import { augTransforms, augmentMatrix, centerParams, defaultAugment, homographyFromPoints, renderAugmented, sampleAugment, type AugmentParams } from './transforms.js';

function randomImage(w: number, h: number, seed = 1) {
  const rng = new Rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { data, width: w, height: h };
}

function render(src: ReturnType<typeof randomImage>, p: AugmentParams, size: number, pad: 'reflection' | 'zeros' | 'border' = 'reflection'): number[] {
  const out = new Float32Array(size * size * 3);
  renderAugmented(src, p, size, unitStats, out, 0, pad);
  return Array.from(out, (v) => Math.round(v * 255 * 1000) / 1000);
}

const px = (img: { data: Uint8Array; width: number }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('geometric transforms', () => {
  it('identity params copy the pixels exactly', () => {
    const src = randomImage(8, 8);
    expect(render(src, centerParams(8, 8), 8)).toEqual(Array.from(src.data));
  });

  it('centre crop takes the middle square of a wide image', () => {
    const src = randomImage(12, 8);
    const out = render(src, centerParams(12, 8, 'crop'), 8);
    expect(out.slice(0, 3)).toEqual(px(src, 2, 0));
    expect(out.slice(-3)).toEqual(px(src, 9, 7));
  });

  it('flip mirrors each row', () => {
    const src = randomImage(6, 6);
    const out = render(src, { ...centerParams(6, 6), flip: true }, 6);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) expect(out.slice((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)).toEqual(px(src, 5 - x, y));
  });

  it('a 90 degree rotation permutes pixels exactly', () => {
    const src = randomImage(6, 6);
    const out = render(src, { ...centerParams(6, 6), rotate: 90 }, 6);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) {
      // p_in = R p_out: x_in = -y_out, y_in = x_out (in centred coordinates).
      expect(out.slice((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)).toEqual(px(src, 5 - y, x));
    }
  });

  it('zoom 2 about the centre magnifies the middle', () => {
    const src = randomImage(8, 8);
    const out = render(src, { ...centerParams(8, 8), zoom: 2 }, 8);
    // Output pixel (3.5, 3.5) +- 0.5 maps to source 3.5 +- 0.25: a blend of the four middle pixels.
    const mid = [px(src, 3, 3), px(src, 4, 3), px(src, 3, 4), px(src, 4, 4)];
    const lo = (c: number) => Math.min(...mid.map((m) => m[c]!));
    const hi = (c: number) => Math.max(...mid.map((m) => m[c]!));
    const o = out.slice((3 * 8 + 3) * 3, (3 * 8 + 3) * 3 + 3);
    for (let c = 0; c < 3; c++) { expect(o[c]).toBeGreaterThanOrEqual(lo(c) - 1e-3); expect(o[c]).toBeLessThanOrEqual(hi(c) + 1e-3); }
  });

  it('padding modes: reflection keeps a flat image flat, zeros brings in black', () => {
    const flat = { data: new Uint8Array(16 * 16 * 3).fill(200), width: 16, height: 16 };
    const p = { ...centerParams(16, 16), rotate: 45 };
    expect(new Set(render(flat, p, 16, 'reflection'))).toEqual(new Set([200]));
    expect(new Set(render(flat, p, 16, 'border'))).toEqual(new Set([200]));
    const zeros = render(flat, p, 16, 'zeros');
    expect(zeros[0]).toBe(0);
    expect(zeros[(8 * 16 + 8) * 3]).toBe(200);
  });

  it('warp homography maps the square corners to the moved corners', () => {
    const from = [[-1, -1], [-1, 1], [1, -1], [1, 1]];
    const to = [[-1.1, -0.9], [-0.8, 1.2], [1.05, -1], [0.9, 0.95]];
    const h = homographyFromPoints(from, to);
    from.forEach(([x, y], k) => {
      const w = h[6]! * x! + h[7]! * y! + h[8]!;
      expect((h[0]! * x! + h[1]! * y! + h[2]!) / w).toBeCloseTo(to[k]![0]!, 9);
      expect((h[3]! * x! + h[4]! * y! + h[5]!) / w).toBeCloseTo(to[k]![1]!, 9);
    });
    const m = augmentMatrix({ ...centerParams(10, 10), warp: [0.2, -0.1] });
    expect(m[6] !== 0 || m[7] !== 0).toBe(true);
  });
});

describe('lighting', () => {
  const src = randomImage(16, 16, 3);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
  it('brightness above 0.5 brightens, contrast above 1 spreads values', () => {
    const base = render(src, centerParams(16, 16), 16);
    const bright = render(src, { ...centerParams(16, 16), brightness: 0.6 }, 16);
    const contrast = render(src, { ...centerParams(16, 16), contrast: 1.25 }, 16);
    expect(mean(bright)).toBeGreaterThan(mean(base) + 10);
    expect(sd(contrast)).toBeGreaterThan(sd(base) * 1.05);
    expect(Math.max(...bright)).toBeLessThanOrEqual(255);
  });
  it('normalizes with the given statistics', () => {
    const out = new Float32Array(4 * 4 * 3);
    const flat = { data: new Uint8Array(48).fill(255), width: 4, height: 4 };
    renderAugmented(flat, centerParams(4, 4), 4, imagenetStats, out);
    expect(out[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(out[2]).toBeCloseTo((1 - 0.406) / 0.225, 5);
  });
});

describe('sampleAugment', () => {
  const opts = augTransforms();
  it('has the lesson defaults', () => {
    expect(opts).toMatchObject({ resize: 'randomResizedCrop', minScale: 0.5, flip: true, maxRotate: 10, minZoom: 1, maxZoom: 1.1, maxLighting: 0.2, maxWarp: 0.2, pAffine: 0.75, pLighting: 0.75, padMode: 'reflection' });
    expect(defaultAugment.ratio).toEqual([3 / 4, 4 / 3]);
  });

  it('is deterministic for a seed and stays within the ranges', () => {
    expect(sampleAugment(new Rng(1, 'a'), 300, 200, opts)).toEqual(sampleAugment(new Rng(1, 'a'), 300, 200, opts));
    expect(sampleAugment(new Rng(1, 'a'), 300, 200, opts)).not.toEqual(sampleAugment(new Rng(2, 'a'), 300, 200, opts));
    let flips = 0, rotated = 0, lit = 0;
    const n = 2000;
    const bad: string[] = [];
    const check = (ok: boolean, what: string) => { if (!ok) bad.push(what); };
    for (let i = 0; i < n; i++) {
      const p = sampleAugment(new Rng(7, i), 300, 200, opts);
      const area = (p.crop.width * p.crop.height) / (300 * 200);
      check(area >= 0.5 - 1e-9 && area <= 1 + 1e-9, `area ${area}`);
      check(p.crop.x >= 0 && p.crop.y >= 0 && p.crop.x + p.crop.width <= 300 + 1e-9 && p.crop.y + p.crop.height <= 200 + 1e-9, 'crop inside');
      const r = p.crop.width / p.crop.height;
      check(r >= 0.75 - 1e-9 && r <= 4 / 3 + 1e-9, `ratio ${r}`);
      check(Math.abs(p.rotate) <= 10, `rotate ${p.rotate}`);
      check(p.zoom >= 1 && p.zoom <= 1.1, `zoom ${p.zoom}`);
      check(Math.abs(p.warp[0]) <= 0.2 && Math.abs(p.warp[1]) <= 0.2, `warp ${p.warp}`);
      check(p.brightness >= 0.4 && p.brightness <= 0.6, `brightness ${p.brightness}`);
      check(p.contrast >= 0.8 - 1e-9 && p.contrast <= 1.25 + 1e-9, `contrast ${p.contrast}`);
      if (p.flip) flips++;
      if (p.rotate !== 0) rotated++;
      if (p.brightness !== 0.5) lit++;
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(flips / n).toBeGreaterThan(0.45);
    expect(flips / n).toBeLessThan(0.55);
    expect(rotated / n).toBeGreaterThan(0.7);
    expect(rotated / n).toBeLessThan(0.8);
    expect(lit / n).toBeGreaterThan(0.7);
  });

  it('rejects bad settings', () => {
    expect(() => augTransforms({ maxZoom: 0.5 })).toThrow(/zoom/);
    expect(() => augTransforms({ minScale: 0 })).toThrow(/minScale/);
    expect(() => augTransforms({ resize: 'stretch' as never })).toThrow(/resize/);
  });
});
