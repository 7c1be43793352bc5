import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import type { OverlayOptions } from 'sharp';
import { writeFileAtomic } from './fs-utils.js';
import { checkNormalization, imagenetStats, type Normalization } from './normalization.js';

export interface ShowBatchOptions {
  /** Class names for the labels in y (default: the label numbers). */
  classes?: readonly string[];
  /** Captions, one per image; override the class names (e.g. 'grizzly / pred teddy 0.93'). */
  titles?: readonly string[];
  /** The normalization the batch was made with (default imagenetStats). */
  normalize?: Normalization;
  /** Most images drawn (default 16). */
  maxImages?: number;
  /** Columns (default: a near-square grid). */
  cols?: number;
  /** Side of each drawn image in pixels (default: the batch's image size, at least 96). */
  cellSize?: number;
}

export interface ShowBatchResult {
  file: string;
  width: number;
  height: number;
  count: number;
}

/**
 * Writes a PNG grid of a batch's images with their labels under each (sharp composites the
 * de-normalized pixels and renders the captions from an SVG overlay). Tensors are not disposed.
 */
export async function showBatch(
  batch: { x: tf.Tensor4D; y?: tf.Tensor1D },
  outFile: string,
  options: ShowBatchOptions = {},
): Promise<ShowBatchResult> {
  const { x, y } = batch;
  if (x.rank !== 4 || x.shape[3] !== 3) throw new Error(`showBatch needs x of shape [b, h, w, 3], got [${x.shape.join(', ')}]`);
  const normalize = checkNormalization(options.normalize ?? imagenetStats);
  const [b, h, w] = x.shape;
  const count = Math.min(b, options.maxImages ?? 16);
  if (count === 0) throw new Error('showBatch: the batch is empty');
  const cols = options.cols ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const cell = options.cellSize ?? Math.max(96, Math.max(h, w));
  const cellW = Math.round((cell * w) / Math.max(h, w));
  const cellH = Math.round((cell * h) / Math.max(h, w));
  const fontSize = Math.max(11, Math.round(cell / 12));
  const captionH = Math.round(fontSize * 1.8);
  const gap = 6;
  const width = cols * (cellW + gap) + gap;
  const height = rows * (cellH + captionH + gap) + gap;

  const pixels = (await x.data()) as Float32Array;
  const labels = y ? Array.from(await y.data()) : [];
  const per = h * w * 3;
  const composites: OverlayOptions[] = [];
  const captions: string[] = [];
  for (let i = 0; i < count; i++) {
    const rgb = Buffer.alloc(per);
    for (let p = 0; p < per; p++) {
      const c = p % 3;
      const v = (pixels[i * per + p]! * normalize.std[c]! + normalize.mean[c]!) * 255;
      rgb[p] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
    const tile = cellW === w && cellH === h ? rgb : await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).resize(cellW, cellH).raw().toBuffer();
    const left = gap + (i % cols) * (cellW + gap);
    const top = gap + Math.floor(i / cols) * (cellH + captionH + gap);
    composites.push({ input: tile, raw: { width: cellW, height: cellH, channels: 3 }, left, top });
    const label = options.titles?.[i] ?? (labels[i] !== undefined ? (options.classes?.[labels[i]!] ?? String(labels[i])) : '');
    captions.push(`<text x="${left + cellW / 2}" y="${top + cellH + fontSize * 1.3}" font-size="${fontSize}" text-anchor="middle">${escapeXml(label)}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="DejaVu Sans, Arial, Helvetica, sans-serif" fill="#222">${captions.join('')}</g></svg>`;
  composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(composites).png().toBuffer();
  await fs.mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  await writeFileAtomic(outFile, png);
  return { file: path.resolve(outFile), width, height, count };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}
