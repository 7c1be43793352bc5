import * as tf from '@tensorflow/tfjs-core';
import type { RgbImage } from './types.js';

export function targetSize(size: number | [number, number] | undefined): [number, number] | undefined {
  if (size === undefined) return undefined;
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(`Image size must be positive integers, got ${JSON.stringify(size)}`);
  }
  return [h, w];
}

export function rgbToTensor(img: RgbImage): tf.Tensor3D {
  return tf.tidy(() => tf.cast(tf.tensor3d(img.data, [img.height, img.width, 3], 'int32'), 'float32'));
}

/** Reads a [h, w, 3] tensor (0..255, clipped) back to RGB bytes; the tensor is not disposed. */
export async function tensorToRgb(t: tf.Tensor3D): Promise<RgbImage> {
  if (t.rank !== 3 || t.shape[2] !== 3) throw new Error(`Expected an [h, w, 3] tensor, got shape [${t.shape.join(', ')}]`);
  const clipped = tf.tidy(() => tf.cast(tf.clipByValue(tf.round(t), 0, 255), 'int32'));
  try {
    const values = await clipped.data();
    return { data: Uint8Array.from(values as Int32Array), width: t.shape[1], height: t.shape[0] };
  } finally {
    clipped.dispose();
  }
}

export function isTensor(x: unknown): x is tf.Tensor3D {
  return x instanceof tf.Tensor;
}

/** Names the format from magic bytes: extensions lie. */
export function sniffImageType(bytes: Uint8Array): 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp' | 'tiff' | 'avif' | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (b.length >= 4 && ascii(b, 0, 4) === 'GIF8') return 'gif';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a))) return 'tiff';
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp' && /avi[fs]/.test(ascii(b, 8, 4))) return 'avif';
  return undefined;
}

function ascii(b: Uint8Array, start: number, len: number): string {
  return String.fromCharCode(...b.subarray(start, start + len));
}

/** Why bytes that sniff as no image format are not an image, for reports and errors. */
export function notImageReason(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || head.includes('<body') || head.includes('<head')) return 'not an image (HTML page)';
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'not a raster image (SVG)';
  if (head.startsWith('{') || head.startsWith('[')) return 'not an image (JSON/text)';
  if (head.startsWith('<')) return 'not an image (text/markup)';
  return 'not an image (unknown format)';
}
