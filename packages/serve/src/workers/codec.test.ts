import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { wasmDecoderCodec } from './codec.js';

const require = createRequire(import.meta.url);
const wasm = async (spec: string) => new WebAssembly.Module(await readFile(require.resolve(spec)));

describe('wasmDecoderCodec (the Workers codec, run in Node)', () => {
  it("crops but never enlarges with cover + withoutEnlargement, at sharp's sizes", async () => {
    const codec = wasmDecoderCodec({ jpeg: await wasm('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'), png: await wasm('@jsquash/png/codec/pkg/squoosh_png_bg.wasm') });
    for (const [w, h, size] of [[300, 190, 224], [190, 300, 224], [200, 150, 224], [260, 250, 224], [1000, 200, 224], [64, 48, 32]] as const) {
      const jpeg = await sharp({ create: { width: w, height: h, channels: 3, background: '#804020' } }).jpeg().toBuffer();
      const bytes = new Uint8Array(jpeg);
      const ours = await codec.decodeRgb(bytes, { size, fit: 'cover', withoutEnlargement: true });
      const { info } = await sharp(jpeg).resize({ width: size, height: size, fit: 'cover', withoutEnlargement: true }).raw().toBuffer({ resolveWithObject: true });
      expect([ours.width, ours.height], `${w}x${h} at ${size}`).toEqual([info.width, info.height]);
      expect(ours.data.length).toBe(ours.width * ours.height * 3);
      // Without the flag, cover always fills the box.
      const filled = await codec.decodeRgb(bytes, { size, fit: 'cover' });
      expect([filled.width, filled.height]).toEqual([size, size]);
    }
  });
});
