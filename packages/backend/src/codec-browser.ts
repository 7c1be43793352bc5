import type * as tf from '@tensorflow/tfjs-core';
import { ImageDecodeError } from './errors.js';
import { isTensor, notImageReason, rgbToTensor, sniffImageType, targetSize, tensorToRgb } from './codec-shared.js';
import type { DecodeOptions, ImageCodec, RgbImage } from './types.js';

type Canvas2D = OffscreenCanvasRenderingContext2D;

function canvas(width: number, height: number): { canvas: OffscreenCanvas; ctx: Canvas2D } {
  if (typeof OffscreenCanvas === 'undefined') throw new Error('The browser codec needs OffscreenCanvas (browsers and Web Workers)');
  const c = new OffscreenCanvas(width, height);
  const ctx = c.getContext('2d', { willReadFrequently: true }) as Canvas2D | null;
  if (!ctx) throw new Error('OffscreenCanvas 2d context is unavailable');
  return { canvas: c, ctx };
}

/** Browser and Web Worker codec on createImageBitmap + OffscreenCanvas. */
export const browserCodec: ImageCodec = {
  name: 'browser',
  async decodeRgb(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
    if (bytes.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
    const kind = sniffImageType(bytes);
    if (!kind) throw new ImageDecodeError(notImageReason(bytes));
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: `image/${kind}` }));
    } catch (err) {
      throw new ImageDecodeError(`${kind} data is corrupt or unsupported (${(err as Error).message})`, { cause: err });
    }
    try {
      let [h, w] = targetSize(options.size) ?? [bitmap.height, bitmap.width];
      const fit = options.fit ?? 'cover';
      if (fit === 'outside' || fit === 'inside') {
        // Aspect ratio kept: the output covers (or fits inside) the requested box, sharp's semantics.
        let scale = fit === 'outside' ? Math.max(w / bitmap.width, h / bitmap.height) : Math.min(w / bitmap.width, h / bitmap.height);
        if (options.withoutEnlargement) scale = Math.min(1, scale);
        w = Math.max(1, Math.round(bitmap.width * scale));
        h = Math.max(1, Math.round(bitmap.height * scale));
      } else if (fit === 'cover' && options.withoutEnlargement) {
        // sharp's: a side shorter than the box is not scaled up, only the centre is cropped.
        [w, h] = [Math.min(w, bitmap.width), Math.min(h, bitmap.height)];
      }
      const { ctx } = canvas(w, h);
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, w, h);
      let sx = 0, sy = 0, sw = bitmap.width, sh = bitmap.height, dx = 0, dy = 0, dw = w, dh = h;
      if (fit === 'cover') {
        const scale = Math.max(w / bitmap.width, h / bitmap.height);
        sw = w / scale; sh = h / scale;
        sx = (bitmap.width - sw) / 2; sy = (bitmap.height - sh) / 2;
      } else if (fit === 'contain') {
        const scale = Math.min(w / bitmap.width, h / bitmap.height);
        dw = bitmap.width * scale; dh = bitmap.height * scale;
        dx = (w - dw) / 2; dy = (h - dh) / 2;
      }
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(bitmap, sx, sy, sw, sh, dx, dy, dw, dh);
      const rgba = ctx.getImageData(0, 0, w, h).data;
      const rgb = new Uint8Array(w * h * 3);
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
        rgb[j] = rgba[i]!; rgb[j + 1] = rgba[i + 1]!; rgb[j + 2] = rgba[i + 2]!;
      }
      return { data: rgb, width: w, height: h };
    } finally {
      bitmap.close();
    }
  },
  async decode(bytes: Uint8Array, options?: DecodeOptions): Promise<tf.Tensor3D> {
    return rgbToTensor(await this.decodeRgb(bytes, options));
  },
  async encodePng(image: RgbImage | tf.Tensor3D): Promise<Uint8Array> {
    const rgb = isTensor(image) ? await tensorToRgb(image) : image;
    const { canvas: c, ctx } = canvas(rgb.width, rgb.height);
    const rgba = new Uint8ClampedArray(rgb.width * rgb.height * 4);
    for (let i = 0, j = 0; j < rgb.data.length; i += 4, j += 3) {
      rgba[i] = rgb.data[j]!; rgba[i + 1] = rgb.data[j + 1]!; rgba[i + 2] = rgb.data[j + 2]!; rgba[i + 3] = 255;
    }
    ctx.putImageData(new ImageData(rgba, rgb.width, rgb.height), 0, 0);
    const blob = await c.convertToBlob({ type: 'image/png' });
    return new Uint8Array(await blob.arrayBuffer());
  },
};
