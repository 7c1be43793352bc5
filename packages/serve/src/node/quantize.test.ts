import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeForModel } from '@bears/data';
import { bearBytes } from '../test-support/fixtures.js';
import { loadModelFolder } from './load.js';
import { toFloat16Bits, writeFloat16Export } from './quantize.js';

beforeAll(async () => {
  await useBackend('wasm', { env: null });
});

describe('float16 export', () => {
  it('converts floats to IEEE half bits with round-to-nearest-even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(0.1)).toBe(0x2e66);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(6e-8)).toBe(0x0001);
    expect(toFloat16Bits(1e-9)).toBe(0);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(toFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('halves the weights, keeps the checksums valid and the predictions within 0.01', async () => {
    const src = inject('modelDir');
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'bears-f16-')), 'model');
    const { bytesBefore, bytesAfter } = await writeFloat16Export(src, out);
    expect(bytesAfter).toBe(bytesBefore / 2);
    expect((await stat(path.join(out, 'weights.bin'))).size).toBe(bytesAfter);
    expect(JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8')).weightsDtype).toBe('float16');
    const [a, b] = await Promise.all([loadModelFolder(src), loadModelFolder(out)]);
    const { codec } = await useBackend('wasm', { env: null });
    for (const cls of ['black', 'grizzly', 'teddy']) {
      const input = await decodeForModel(codec, await bearBytes(cls), { size: a.inputSize, resize: a.metadata.resize ?? 'crop', normalize: a.metadata.normalize });
      const [pa] = await a.predictPrepared(input, 1);
      const [pb] = await b.predictPrepared(input, 1);
      expect(pb!.label).toBe(pa!.label);
      pa!.probabilities.forEach((p, k) => expect(Math.abs(p - pb!.probabilities[k]!)).toBeLessThan(0.01));
    }
    a.dispose();
    b.dispose();
  });
});
