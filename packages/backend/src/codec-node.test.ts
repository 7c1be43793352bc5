import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharpCodec } from './codec-node.js';
import { ImageDecodeError } from './errors.js';
import { sniffImageType } from './codec-shared.js';

async function gradient(format: 'jpeg' | 'png' | 'webp', w = 64, h = 48, channels: 1 | 3 | 4 = 3): Promise<Uint8Array> {
  const raw = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) {
    raw[(y * w + x) * channels + c] = c === 3 ? 255 : ((x * 4 + c * 40) & 255);
  }
  const img = sharp(raw, { raw: { width: w, height: h, channels } });
  const buf = format === 'jpeg' ? await img.jpeg({ quality: 95 }).toBuffer() : format === 'png' ? await img.png().toBuffer() : await img.webp().toBuffer();
  return new Uint8Array(buf);
}

describe('sharp codec', () => {
  beforeAll(async () => { await tf.setBackend('cpu'); });

  it('decodes JPEG, PNG and WEBP to RGB at the source size', async () => {
    for (const f of ['jpeg', 'png', 'webp'] as const) {
      const img = await sharpCodec.decodeRgb(await gradient(f));
      expect([img.width, img.height, img.data.length]).toEqual([64, 48, 64 * 48 * 3]);
    }
  });

  it('resizes with centre crop to [h, w] and returns a float tensor', async () => {
    const t = await sharpCodec.decode(await gradient('png'), { size: [32, 16] });
    expect(t.shape).toEqual([32, 16, 3]);
    expect(t.dtype).toBe('float32');
    const max = tf.max(t).dataSync()[0]!;
    expect(max).toBeGreaterThan(100);
    expect(max).toBeLessThanOrEqual(255);
    t.dispose();
  });

  it('converts grayscale and alpha to 3 channels', async () => {
    expect((await sharpCodec.decodeRgb(await gradient('png', 20, 10, 1))).data.length).toBe(600);
    expect((await sharpCodec.decodeRgb(await gradient('png', 20, 10, 4))).data.length).toBe(600);
  });

  it('rejects empty, HTML and truncated files with a reason', async () => {
    await expect(sharpCodec.decodeRgb(new Uint8Array())).rejects.toThrow(/empty/);
    await expect(sharpCodec.decodeRgb(new TextEncoder().encode('<html>404</html>'))).rejects.toThrow(/HTML/);
    const jpeg = await gradient('jpeg', 256, 256);
    const cut = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const err = await sharpCodec.decodeRgb(cut).catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toMatch(/jpeg/);
  });

  it('round-trips through PNG', async () => {
    const t = tf.tensor3d([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30], [2, 2, 3]);
    const png = await sharpCodec.encodePng(t);
    expect(sniffImageType(png)).toBe('png');
    const back = await sharpCodec.decodeRgb(png);
    expect(Array.from(back.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    t.dispose();
  });
});
