import { ImageDecodeError, notImageReason, sniffImageType, type ImageCodec, type RgbImage } from '@bears/backend';
import { checkNormalization, type Normalization } from './normalization.js';
import type { Rng } from './prng.js';
import { centerParams, isValidResize, renderAugmented, resizeFit, sampleAugment, writeNormalized, type AugmentOptions, type AugmentParams, type ValidResize } from './transforms.js';

/** An image that cannot be used: names the file (or '(image bytes)') and says why. */
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

export interface PreprocessOptions {
  /** Side of the square model input in pixels. */
  size: number;
  /** How a photo fits the square: 'squish' (whole photo), 'crop' (centre crop) or 'pad' (black bars). */
  resize: ValidResize;
  /** Statistics applied to pixels / 255. */
  normalize: Normalization;
}

function checkOptions(o: PreprocessOptions): void {
  if (!Number.isInteger(o?.size) || o.size < 1) throw new RangeError(`size must be a positive integer, got ${String(o?.size)}`);
  if (!isValidResize(o.resize)) throw new RangeError(`resize must be 'crop', 'squish' or 'pad', got ${String(o.resize)}`);
  checkNormalization(o.normalize);
}

/**
 * THE one function from decoded pixels to model input, used by validation, predict, serving and
 * interpretation: fit to the square, resize, normalize. Returns size*size*3 floats (HWC), written
 * into `out` at `offset` when given. Pixels already at size x size (what decodeForModel gets from
 * the codec) are only normalized; other sizes are fitted with one bilinear pass.
 */
export function preprocess(rgb: RgbImage, options: PreprocessOptions, out?: Float32Array, offset = 0): Float32Array {
  checkOptions(options);
  const { size, normalize } = options;
  if (!rgb || !(rgb.data instanceof Uint8Array) || rgb.data.length !== rgb.width * rgb.height * 3 || rgb.width < 1 || rgb.height < 1) {
    throw new TypeError('preprocess: expected RGB pixels { data: Uint8Array(width * height * 3), width, height }');
  }
  const target = out ?? new Float32Array(size * size * 3);
  if (rgb.width === size && rgb.height === size) writeNormalized(rgb, normalize, target, offset);
  else renderAugmented(rgb, centerParams(rgb.width, rgb.height, options.resize), size, normalize, target, offset, 'zeros');
  return target;
}

/** Checks bytes before a decode: empty and not-an-image get their own clear reasons. */
export function checkImageBytes(bytes: Uint8Array, name = '(image bytes)'): void {
  if (!(bytes instanceof Uint8Array)) throw new ImageLoadError(name, `expected image bytes (Uint8Array), got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length === 0) throw new ImageLoadError(name, 'empty file (0 bytes)');
  if (!sniffImageType(bytes)) throw new ImageLoadError(name, notImageReason(bytes));
}

async function decode(codec: ImageCodec, bytes: Uint8Array, name: string, options: Parameters<ImageCodec['decodeRgb']>[1]): Promise<RgbImage> {
  checkImageBytes(bytes, name);
  try {
    return await codec.decodeRgb(bytes, options);
  } catch (err) {
    const reason = err instanceof ImageDecodeError ? err.reason : (err as Error).message ?? String(err);
    throw new ImageLoadError(name, reason, { cause: err });
  }
}

/**
 * Bytes to model input: the backend's codec decodes straight to size x size with the fit (so large
 * photos shrink on load), then preprocess(). Validation, predict and serving all come through here,
 * so the same file gives the same input tensor everywhere. Throws ImageLoadError with a reason.
 * With 'crop', a photo smaller than the square is not enlarged by the codec: preprocess()'s one
 * bilinear pass scales it up, as decodeAugmented's training views are made. libvips' own upscale
 * took about 3 ms of a 4.5 ms decode here, and over half the shared bears are under 224 px.
 */
export async function decodeForModel(
  codec: ImageCodec,
  bytes: Uint8Array,
  options: PreprocessOptions & { name?: string },
  out?: Float32Array,
  offset = 0,
): Promise<Float32Array> {
  checkOptions(options);
  const fit = resizeFit(options.resize);
  const rgb = await decode(codec, bytes, options.name ?? '(image bytes)', { size: options.size, fit, withoutEnlargement: fit === 'cover' });
  return preprocess(rgb, options, out, offset);
}

/**
 * Training decode into `out` at `offset`: the codec shrinks to a working size just big enough for
 * the crop and zoom, then one bilinear pass does crop, flip, rotate, zoom and warp, and lighting and
 * normalization happen in the same loop. Returns the draw, so it can be shown or replayed.
 */
export async function decodeAugmented(
  codec: ImageCodec,
  bytes: Uint8Array,
  options: { size: number; augment: Required<AugmentOptions>; rng: Rng; normalize: Normalization; name?: string },
  out: Float32Array,
  offset = 0,
): Promise<AugmentParams> {
  const { size, augment } = options;
  const factor = augment.resize === 'randomResizedCrop' ? Math.min(2, augment.maxZoom / Math.sqrt(augment.minScale)) : augment.maxZoom;
  const work = Math.ceil(size * factor);
  const img = await decode(codec, bytes, options.name ?? '(image bytes)', augment.resize === 'squish'
    ? { size: work, fit: 'fill' }
    : { size: work, fit: augment.resize === 'pad' ? 'inside' : 'outside', withoutEnlargement: true });
  const params = sampleAugment(options.rng, img.width, img.height, augment);
  renderAugmented(img, params, size, options.normalize, out, offset, augment.padMode);
  return params;
}
