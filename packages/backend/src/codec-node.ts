import type * as tf from '@tensorflow/tfjs-core';
import { ImageDecodeError } from './errors.js';
import { isTensor, notImageReason, rgbToTensor, sniffImageType, targetSize, tensorToRgb } from './codec-shared.js';
import type { DecodeOptions, ImageCodec, RgbImage } from './types.js';

type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;

async function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then(
    (m) => m.default,
    (err) => {
      sharpModule = undefined;
      throw new Error(`The Node image codec needs 'sharp': npm install sharp (${(err as Error).message})`);
    },
  );
  return sharpModule;
}

/** Node codec on sharp/libvips, the one place sharp's decode settings live: full decode (so truncation is caught), EXIF orientation, any colour space to sRGB. */
export const sharpCodec: ImageCodec = {
  name: 'sharp',
  async decodeRgb(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
    if (bytes.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
    const kind = sniffImageType(bytes);
    if (!kind) throw new ImageDecodeError(notImageReason(bytes));
    const sharp = await loadSharp();
    const size = targetSize(options.size);
    try {
      // failOn 'warning' turns libjpeg's "premature end of file" into an error: metadata() alone misses it.
      let pipe = sharp(bytes, { failOn: 'warning', limitInputPixels: 268_402_689 })
        .rotate()
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb');
      if (size) pipe = pipe.resize({ height: size[0], width: size[1], fit: options.fit ?? 'cover', position: 'centre', withoutEnlargement: options.withoutEnlargement ?? false });
      const { data, info } = await pipe.removeAlpha().raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new ImageDecodeError(`unexpected channel count ${info.channels}`);
      return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
    } catch (err) {
      if (err instanceof ImageDecodeError) throw err;
      throw new ImageDecodeError(`${kind} data is corrupt or truncated (${(err as Error).message})`, { cause: err });
    }
  },
  async decode(bytes: Uint8Array, options?: DecodeOptions): Promise<tf.Tensor3D> {
    return rgbToTensor(await this.decodeRgb(bytes, options));
  },
  async encodePng(image: RgbImage | tf.Tensor3D): Promise<Uint8Array> {
    const rgb = isTensor(image) ? await tensorToRgb(image) : image;
    const sharp = await loadSharp();
    const png = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } }).png().toBuffer();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  },
};

export { ImageDecodeError };
