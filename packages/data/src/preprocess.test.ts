import { describe, expect, it } from 'vitest';
import { sharpCodec } from '@bears/backend/node';
import sharp from 'sharp';
import { unitStats, inceptionStats } from './normalization.js';
import { decodeForModel, ImageLoadError, preprocess } from './preprocess.js';

function rgb(width: number, height: number, f: (x: number, y: number) => [number, number, number]) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { data, width, height };
}

describe('preprocess: decoded pixels to model input', () => {
  it('normalizes pixels already at the size, HWC, exactly', () => {
    const img = rgb(2, 2, (x, y) => [x * 255, y * 255, 51]);
    const out = preprocess(img, { size: 2, resize: 'squish', normalize: inceptionStats });
    expect(out.length).toBe(12);
    Array.from(img.data).forEach((v, i) => expect(out[i]).toBeCloseTo(v / 127.5 - 1, 6));
  });

  it('fits other sizes: crop keeps the centre, squish keeps everything, pad adds black bars', () => {
    // 30 x 10: red | blue | green thirds.
    const img = rgb(30, 10, (x) => (x < 10 ? [255, 0, 0] : x < 20 ? [0, 0, 255] : [0, 255, 0]));
    const px = (out: Float32Array, x: number, y: number, size: number) => Array.from(out.subarray((y * size + x) * 3, (y * size + x) * 3 + 3)).map((v) => Math.round(v * 255));
    const crop = preprocess(img, { size: 6, resize: 'crop', normalize: unitStats });
    expect(px(crop, 0, 3, 6)).toEqual([0, 0, 255]);
    expect(px(crop, 5, 3, 6)).toEqual([0, 0, 255]);
    const squish = preprocess(img, { size: 6, resize: 'squish', normalize: unitStats });
    expect(px(squish, 0, 3, 6)).toEqual([255, 0, 0]);
    expect(px(squish, 5, 3, 6)).toEqual([0, 255, 0]);
    const pad = preprocess(img, { size: 6, resize: 'pad', normalize: unitStats });
    expect(px(pad, 3, 0, 6)).toEqual([0, 0, 0]);
    expect(px(pad, 0, 3, 6)).toEqual([255, 0, 0]);
  });

  it('writes into a batch buffer at an offset and rejects bad input', () => {
    const out = new Float32Array(2 * 4 * 3);
    preprocess(rgb(2, 2, () => [255, 255, 255]), { size: 2, resize: 'crop', normalize: unitStats }, out, 12);
    expect(Array.from(out.subarray(0, 12)).every((v) => v === 0)).toBe(true);
    expect(Array.from(out.subarray(12)).every((v) => v === 1)).toBe(true);
    expect(() => preprocess({ data: new Uint8Array(5), width: 2, height: 2 }, { size: 2, resize: 'crop', normalize: unitStats })).toThrow(/expected RGB pixels/);
    expect(() => preprocess(rgb(2, 2, () => [0, 0, 0]), { size: 2, resize: 'zoom' as never, normalize: unitStats })).toThrow(/resize must be/);
  });
});

describe('decodeForModel: bytes through the codec, then preprocess', () => {
  it('equals preprocess of the codec decode at the size, and names bad bytes', async () => {
    const png = new Uint8Array(await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 100, b: 50 } } }).png().toBuffer());
    const a = await decodeForModel(sharpCodec, png, { size: 8, resize: 'squish', normalize: inceptionStats });
    const b = preprocess(await sharpCodec.decodeRgb(png, { size: 8, fit: 'fill' }), { size: 8, resize: 'squish', normalize: inceptionStats });
    expect(a).toEqual(b);
    await expect(decodeForModel(sharpCodec, new Uint8Array(0), { size: 8, resize: 'crop', normalize: unitStats })).rejects.toThrow(/empty file/);
    const html = new TextEncoder().encode('<!doctype html><html></html>');
    await expect(decodeForModel(sharpCodec, html, { size: 8, resize: 'crop', normalize: unitStats, name: 'page.jpg' })).rejects.toThrow(ImageLoadError);
    await expect(decodeForModel(sharpCodec, html, { size: 8, resize: 'crop', normalize: unitStats, name: 'page.jpg' })).rejects.toThrow(/page\.jpg: not an image \(HTML page\)/);
    await expect(decodeForModel(sharpCodec, png.subarray(0, 60), { size: 8, resize: 'crop', normalize: unitStats })).rejects.toThrow(/png data is corrupt or truncated/);
  });
});
