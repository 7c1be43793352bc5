import { describe, expect, it } from 'vitest';
import { resizeRgb } from './resize.js';

/** width x height RGB where red = x, green = y, blue = 200. */
function ramp(width: number, height: number): Uint8Array {
  const d = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) d.set([x, y, 200], (y * width + x) * 3);
  return d;
}
const px = (img: { data: Uint8Array; width: number }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('resizeRgb', () => {
  it('fill squishes the whole image; averaging keeps a linear ramp linear', () => {
    const out = resizeRgb(ramp(200, 100), 200, 100, 3, 10, 10, 'fill');
    expect([out.width, out.height]).toEqual([10, 10]);
    expect(px(out, 0, 0)[0]).toBeLessThan(15);
    expect(px(out, 9, 9)[0]).toBeGreaterThan(185);
    expect(px(out, 9, 9)[1]).toBeGreaterThan(90);
    expect(px(out, 5, 5)[2]).toBe(200);
  });

  it('cover crops the centre (x from 50 to 150 of a 200 x 100 image)', () => {
    const out = resizeRgb(ramp(200, 100), 200, 100, 3, 10, 10, 'cover');
    expect(px(out, 0, 5)[0]).toBeGreaterThanOrEqual(50);
    expect(px(out, 0, 5)[0]).toBeLessThan(60);
    expect(px(out, 9, 5)[0]).toBeGreaterThan(140);
    expect(px(out, 9, 5)[0]).toBeLessThanOrEqual(150);
  });

  it('contain letterboxes on white', () => {
    const out = resizeRgb(ramp(200, 100), 200, 100, 3, 10, 10, 'contain');
    expect(px(out, 5, 0)).toEqual([255, 255, 255]);
    expect(px(out, 5, 9)).toEqual([255, 255, 255]);
    expect(px(out, 5, 5)[2]).toBe(200);
  });

  it('reads RGBA and upsamples', () => {
    const rgba = new Uint8Array([10, 20, 30, 255, 50, 60, 70, 255]);
    const out = resizeRgb(rgba, 2, 1, 4, 2, 4, 'fill');
    expect([out.width, out.height]).toEqual([4, 2]);
    expect(px(out, 0, 0)).toEqual([10, 20, 30]);
    expect(px(out, 3, 1)).toEqual([50, 60, 70]);
  });
});
