import sharp from 'sharp';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageHeader } from './image-header.js';
import { BEARS_DIR } from './test-support/fixtures.js';
import { pngHeader } from './test-support/images.js';

const raw = (w: number, h: number) => sharp(Buffer.alloc(w * h * 3, 90), { raw: { width: w, height: h, channels: 3 } });

describe('readImageHeader', () => {
  it('reads the dimensions of JPEG, progressive JPEG, PNG, GIF, WebP (lossy and lossless) without decoding', async () => {
    const cases: [string, Buffer][] = [
      ['jpeg', await raw(37, 21).jpeg().toBuffer()],
      ['jpeg', await raw(37, 21).jpeg({ progressive: true }).toBuffer()],
      ['png', await raw(37, 21).png().toBuffer()],
      ['gif', await raw(37, 21).gif().toBuffer()],
      ['webp', await raw(37, 21).webp().toBuffer()],
      ['webp', await raw(37, 21).webp({ lossless: true }).toBuffer()],
    ];
    for (const [type, bytes] of cases) expect(readImageHeader(new Uint8Array(bytes))).toEqual({ type, width: 37, height: 21 });
  });

  it('agrees with sharp on real bear photos', async () => {
    for (const cls of ['black', 'grizzly', 'teddy']) {
      const files = (await readdir(path.join(BEARS_DIR, cls))).sort().slice(0, 10);
      for (const f of files) {
        const bytes = await readFile(path.join(BEARS_DIR, cls, f));
        const meta = await sharp(bytes).metadata();
        const h = readImageHeader(new Uint8Array(bytes));
        expect([h?.width, h?.height], f).toEqual([meta.width, meta.height]);
      }
    }
  });

  it('knows the format but not the size of a cut header, and nothing of non-images', () => {
    expect(readImageHeader(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16))).toEqual({ type: 'jpeg' });
    expect(readImageHeader(pngHeader(1, 1).subarray(0, 20))).toEqual({ type: 'png' });
    expect(readImageHeader(new TextEncoder().encode('hello world'))).toBeUndefined();
    expect(readImageHeader(pngHeader(100_000, 90_000))).toEqual({ type: 'png', width: 100_000, height: 90_000 });
  });
});
