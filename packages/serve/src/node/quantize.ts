import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@bears/data/node';
import { ModelFileError, sha256 } from '@bears/learner';

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; original_dtype?: string };
}

/** IEEE half from a float32, round to nearest even (overflow to ±Inf, tiny values to subnormals or 0). */
export function toFloat16Bits(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf, NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/**
 * Writes a copy of an exported model folder with float16 weights (tfjs's weight quantization, which
 * every tfjs loader reads back to float32): half the download and the Worker's static assets.
 * metadata.json gets the new checksums and `weightsDtype: 'float16'`, and is written last.
 */
export async function writeFloat16Export(srcDir: string, outDir: string): Promise<{ bytesBefore: number; bytesAfter: number }> {
  const meta = JSON.parse(await readFile(path.join(srcDir, 'metadata.json'), 'utf8')) as { files: Record<string, string>; [k: string]: unknown };
  const mj = JSON.parse(await readFile(path.join(srcDir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: WeightEntry[] }[] };
  const shards = await Promise.all(mj.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(path.join(srcDir, p))));
  const all = Buffer.concat(shards);
  const entries = mj.weightsManifest.flatMap((g) => g.weights);
  const out: Uint8Array[] = [];
  let off = 0;
  for (const w of entries) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (w.quantization) throw new ModelFileError(path.join(srcDir, 'model.json'), `has ${w.name} already quantized (${w.quantization.dtype})`);
    const bytes = (w.dtype === 'float32' || w.dtype === 'int32' ? 4 : w.dtype === 'bool' ? 1 : 4) * n;
    const src = all.subarray(off, off + bytes);
    off += bytes;
    if (w.dtype !== 'float32') {
      out.push(new Uint8Array(src));
      continue;
    }
    const f32 = new Float32Array(src.buffer.slice(src.byteOffset, src.byteOffset + bytes));
    const f16 = new Uint16Array(n);
    for (let i = 0; i < n; i++) f16[i] = toFloat16Bits(f32[i]!);
    out.push(new Uint8Array(f16.buffer));
    w.quantization = { dtype: 'float16', original_dtype: 'float32' };
  }
  if (off !== all.length) throw new ModelFileError(path.join(srcDir, 'model.json'), `describes ${off} bytes of weights but the shards hold ${all.length}`);
  const weights = Buffer.concat(out);
  const modelJson = new TextEncoder().encode(JSON.stringify({ ...mj, weightsManifest: [{ paths: ['weights.bin'], weights: entries }] }));
  const files = { 'model.json': await sha256(modelJson), 'weights.bin': await sha256(weights) };
  await mkdir(outDir, { recursive: true });
  // metadata.json last: a folder with it is complete.
  await writeFileAtomic(path.join(outDir, 'weights.bin'), weights);
  await writeFileAtomic(path.join(outDir, 'model.json'), modelJson);
  await writeFileAtomic(path.join(outDir, 'metadata.json'), JSON.stringify({ ...meta, weightsDtype: 'float16', files }, null, 2));
  return { bytesBefore: all.length, bytesAfter: weights.length };
}
