// Fixtures shared by the colocated tests (not exported from the package index).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 30, 30],
  green: [30, 200, 60],
  blue: [30, 60, 220],
};

const made: string[] = [];

/** A fresh temp folder, removed by cleanupTempDirs(). */
export async function tempDir(prefix = 'bears-data-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function cleanupTempDirs(): Promise<void> {
  for (const d of made.splice(0)) await fs.rm(d, { recursive: true, force: true });
}

/** Writes a solid-colour image; format from the extension (PNG for exact pixels). */
export async function solidImage(file: string, rgb: [number, number, number], width = 40, height = 30): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const img = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  const ext = path.extname(file).toLowerCase();
  const buf = ext === '.png' ? await img.png().toBuffer() : ext === '.webp' ? await img.webp().toBuffer() : await img.jpeg({ quality: 95 }).toBuffer();
  await fs.writeFile(file, buf);
}

/** A 90 x 30 PNG in three vertical stripes, red | blue | green: its centre crop is all blue. */
export async function stripedImage(file: string): Promise<void> {
  const w = 90, h = 30, raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < 30 ? COLOURS.red! : x < 60 ? COLOURS.blue! : COLOURS.green!, (y * w + x) * 3);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
}

/** A class-per-folder dataset of solid colours: `counts` images per class, PNG. */
export async function colourDataset(counts: Record<string, number>, options: { width?: number; height?: number } = {}): Promise<string> {
  const root = await tempDir();
  for (const [cls, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      await solidImage(path.join(root, cls, `${cls}_${String(i).padStart(3, '0')}.png`), COLOURS[cls] ?? [128, 128, 128], options.width ?? 40 + (i % 5) * 8, options.height ?? 30 + (i % 3) * 10);
    }
  }
  return root;
}
