import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { CLEAN_DIR } from './dataset-paths.js';

/*
 * Grid thumbnails: made once per file version with sharp (EXIF-rotated, longer side `size`, WebP) and
 * cached under <data-dir>/.bears-clean/thumbs, so the grid stays fast on the whole dataset.
 */

export const THUMB_SIZE = 320;

export class Thumbnails {
  private readonly inFlight = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly rootReal: string,
    private readonly size = THUMB_SIZE,
    /** Sharp jobs at once: each already uses several threads. */
    private readonly concurrency = 2,
  ) {}

  /** WebP bytes of the thumbnail of the file at `abs` (id names the cache entry). */
  async get(id: string, abs: string): Promise<Uint8Array<ArrayBuffer>> {
    const st = await fs.stat(abs);
    const cacheFile = path.join(this.rootReal, CLEAN_DIR, 'thumbs', `${id}-${this.size}-${Math.round(st.mtimeMs)}-${st.size}.webp`);
    const cached = await fs.readFile(cacheFile).catch(() => undefined);
    if (cached) return new Uint8Array(cached);
    let job = this.inFlight.get(cacheFile);
    if (!job) {
      job = this.limited(() => this.make(abs, cacheFile)).finally(() => this.inFlight.delete(cacheFile));
      this.inFlight.set(cacheFile, job);
    }
    return job;
  }

  private async make(abs: string, cacheFile: string): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = await sharp(abs, { failOn: 'none', limitInputPixels: 1 << 28 })
      .rotate()
      .resize(this.size, this.size, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 72 })
      .toBuffer();
    await fs.mkdir(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.part`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, cacheFile);
    return new Uint8Array(bytes);
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** Shown in place of a file sharp cannot read, so one broken image does not break the grid. */
export const BROKEN_IMAGE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120"><rect width="160" height="120" fill="#eee"/><text x="80" y="64" font-family="sans-serif" font-size="14" text-anchor="middle" fill="#900">cannot read image</text></svg>`;
