import { promises as fs } from 'node:fs';
import { sniffImageType } from '@bears/backend';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { notImageReason } from './files.js';
import { checkNormalization, imagenetStats, type Normalization } from './normalization.js';
import type { Rng } from './prng.js';
import { renderAugmented, sampleAugment, writeNormalized, resizeFit, type AugmentOptions, type AugmentParams, type ResizeMethod } from './transforms.js';

/** An image file that cannot be used: names the file and says why. */
export class ImageLoadError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot load image ${file}: ${reason}`, options);
    this.name = 'ImageLoadError';
    this.file = file;
    this.reason = reason;
  }
}

const LIMIT_PIXELS = 268_402_689;

/** Reads a file (or takes bytes) and checks it is non-empty and sniffs as an image. */
export async function readImageBytes(source: string | Uint8Array, file = typeof source === 'string' ? source : '(image bytes)'): Promise<Buffer> {
  const bytes = typeof source === 'string' ? await readFileNamed(source) : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const hint = typeof source === 'string' ? '; run verifyImages on the folder' : '';
  if (bytes.length === 0) throw new ImageLoadError(file, 'empty file (0 bytes)');
  if (!sniffImageType(bytes)) throw new ImageLoadError(file, `${notImageReason(bytes)}${hint}`);
  return bytes;
}

async function readFileNamed(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ImageLoadError(file, e.code === 'ENOENT' ? 'file not found' : `unreadable (${e.message})`, { cause: err });
  }
}

/** The shared start of every decode: EXIF rotation, alpha flattened on white, sRGB. */
function base(bytes: Buffer): Sharp {
  return sharp(bytes, { failOn: 'warning', limitInputPixels: LIMIT_PIXELS }).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb');
}

async function raw(file: string, pipe: Sharp): Promise<{ data: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await pipe.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    throw new ImageLoadError(file, `corrupt or truncated image data (${(err as Error).message}); run verifyImages on the folder`, { cause: err });
  }
}

/**
 * Validation-style decode into `out` at `offset`: a deterministic centre crop (or squish/pad)
 * to size x size, normalized. Resizing is sharp's (Lanczos, shrink-on-load).
 */
export async function decodeCenterInto(source: string | Uint8Array, size: number, resize: ResizeMethod, normalize: Normalization, out: Float32Array, offset: number): Promise<void> {
  const file = typeof source === 'string' ? source : '(image bytes)';
  const bytes = await readImageBytes(source, file);
  const img = await raw(file, base(bytes).resize({ width: size, height: size, fit: resizeFit(resize), position: 'centre', background: '#000000' }));
  writeNormalized(img, normalize, out, offset);
}

/**
 * Training decode into `out` at `offset`: sharp shrinks to a working size just big enough for
 * the crop and zoom, then one bilinear pass does crop, flip, rotate, zoom and warp, and lighting
 * and normalization happen in the same loop. Returns the draw, so it can be shown or replayed.
 */
export async function decodeAugmentedInto(
  source: string | Uint8Array,
  size: number,
  augment: Required<AugmentOptions>,
  rng: Rng,
  normalize: Normalization,
  out: Float32Array,
  offset: number,
): Promise<AugmentParams> {
  const file = typeof source === 'string' ? source : '(image bytes)';
  const bytes = await readImageBytes(source, file);
  const factor = augment.resize === 'randomResizedCrop' ? Math.min(2, augment.maxZoom / Math.sqrt(augment.minScale)) : augment.maxZoom;
  const work = Math.ceil(size * factor);
  const pipe = augment.resize === 'squish'
    ? base(bytes).resize({ width: work, height: work, fit: 'fill' })
    : base(bytes).resize({ width: work, height: work, fit: augment.resize === 'pad' ? 'inside' : 'outside', withoutEnlargement: true });
  const img = await raw(file, pipe);
  const params = sampleAugment(rng, img.width, img.height, augment);
  renderAugmented(img, params, size, normalize, out, offset, augment.padMode);
  return params;
}

export interface LoadImageOptions {
  /** Output side (default 224). */
  size?: number;
  /** Default imagenetStats; use the statistics the model was trained with. */
  normalize?: Normalization;
  /** Default 'crop' (centre crop, what validation uses). */
  resize?: ResizeMethod;
}

/**
 * One image (a file path, or encoded bytes such as an upload) as a float32 [1, size, size, 3]
 * tensor, centre-cropped and normalized like validation, for predict.
 */
export async function loadImageTensor(file: string | Uint8Array, options: LoadImageOptions = {}): Promise<tf.Tensor4D> {
  const size = options.size ?? 224;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  const normalize = checkNormalization(options.normalize ?? imagenetStats);
  const out = new Float32Array(size * size * 3);
  await decodeCenterInto(file, size, options.resize ?? 'crop', normalize, out, 0);
  return tf.tensor4d(out, [1, size, size, 3], 'float32');
}
