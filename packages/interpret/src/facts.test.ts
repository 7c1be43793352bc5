import { describe, expect, it } from 'vitest';
import { grey32, hammingDistance, imageFacts, perceptualHash, pixelHash, qualityIssues, type Rgb } from './facts.js';

function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Rgb {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), (y * w + x) * 3);
  return { data, width: w, height: h };
}
// A scene with structure: diagonal bands and a bright disc, in colour.
const scene = (s: number) => (x: number, y: number): [number, number, number] => {
  const u = x / s;
  const v = y / s;
  const disc = (u - 0.6) ** 2 + (v - 0.4) ** 2 < 0.04 ? 120 : 0;
  return [Math.min(255, 60 + 100 * Math.sin(7 * (u + v)) ** 2 + disc), 80 + 90 * v, Math.min(255, 40 + 150 * u)];
};

describe('image facts', () => {
  it('pixel hash: equal for equal pixels, different for one changed pixel or another size', () => {
    const a = image(16, 16, scene(16));
    const b = image(16, 16, scene(16));
    expect(pixelHash(a)).toBe(pixelHash(b));
    b.data[100] = (b.data[100]! + 1) % 256;
    expect(pixelHash(a)).not.toBe(pixelHash(b));
    expect(pixelHash({ ...a, width: 32, height: 8 })).not.toBe(pixelHash(a));
  });

  it('perceptual hash: a resized copy is close, another picture is far', () => {
    const big = perceptualHash(grey32(image(128, 128, scene(128))));
    const small = perceptualHash(grey32(image(64, 64, scene(64))));
    const other = perceptualHash(grey32(image(128, 128, (x, y) => [(x * 7) % 256, (y * 13) % 256, ((x ^ y) * 5) % 256])));
    expect(hammingDistance(big, small)).toBeLessThanOrEqual(4);
    expect(hammingDistance(big, other)).toBeGreaterThan(16);
    expect(() => perceptualHash(new Float32Array(10))).toThrow(/32x32/);
  });

  it('flags dark, overexposed, blurry, low-information, odd aspect, tiny and greyscale images', () => {
    const ok = imageFacts(image(128, 96, scene(128)), { width: 800, height: 600 });
    expect(qualityIssues(ok)).toEqual([]);
    expect(qualityIssues(imageFacts(image(64, 64, (x, y) => [(x + y) % 30, (x * 3) % 25, 10]), { width: 640, height: 640 }))).toContain('dark');
    expect(qualityIssues(imageFacts(image(64, 64, (x) => [250, 245 - (x % 5), 240]), { width: 640, height: 640 }))).toContain('overexposed');
    const flat = qualityIssues(imageFacts(image(64, 64, () => [120, 90, 60]), { width: 640, height: 640 }));
    expect(flat).toContain('blurry');
    expect(flat).toContain('low information');
    expect(qualityIssues(imageFacts(image(128, 32, scene(128)), { width: 1200, height: 300 }))).toContain('odd aspect ratio (4.0:1)');
    expect(qualityIssues(imageFacts(image(40, 40, scene(40)), { width: 40, height: 40 }))).toContain('tiny (40x40)');
    const grey = image(64, 64, (x, y) => {
      const v = scene(64)(x, y)[0];
      return [v, v, v];
    });
    expect(qualityIssues(imageFacts(grey, { width: 640, height: 640 }))).toContain('grayscale');
  });
});
