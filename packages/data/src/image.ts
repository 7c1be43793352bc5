// Node-only image helpers: files on disk and the sharp codec.
import { promises as fs } from 'node:fs';
import { sharpCodec } from '@bears/backend/node';
import * as tf from '@tensorflow/tfjs-core';
import { imagenetStats, type Normalization } from './normalization.js';
import { decodeForModel, ImageLoadError } from './preprocess.js';
import type { ResizeMethod, ValidResize } from './transforms.js';

export { ImageLoadError };

/** Reads an image file's bytes; a missing or unreadable file is an ImageLoadError naming it. */
export async function readImageFile(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ImageLoadError(file, e.code === 'ENOENT' ? 'file not found' : `unreadable (${e.message})`, { cause: err });
  }
}

export interface LoadImageOptions {
  /** Output side (default 224). */
  size?: number;
  /** Default imagenetStats; use the statistics the model was trained with. */
  normalize?: Normalization;
  /** Default 'crop' (centre crop). */
  resize?: ResizeMethod;
}

/**
 * One image (a file path, or encoded bytes such as an upload) as a float32 [1, size, size, 3]
 * tensor, through decodeForModel like validation and predict.
 */
export async function loadImageTensor(file: string | Uint8Array, options: LoadImageOptions = {}): Promise<tf.Tensor4D> {
  const size = options.size ?? 224;
  const resize = (options.resize === 'randomResizedCrop' ? 'crop' : options.resize ?? 'crop') as ValidResize;
  const name = typeof file === 'string' ? file : '(image bytes)';
  const bytes = typeof file === 'string' ? await readImageFile(file) : file;
  const out = await decodeForModel(sharpCodec, bytes, { size, resize, normalize: options.normalize ?? imagenetStats, name });
  return tf.tensor4d(out, [1, size, size, 3], 'float32');
}
