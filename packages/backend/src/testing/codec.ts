import * as tf from '@tensorflow/tfjs-core';
import { activeBackend } from '../registry.js';
import { codecForRuntime } from '../codec.js';
import type { ImageCodec, RgbImage } from '../types.js';
import { JPEG_48x32, PNG_40x24, QUADRANT_RGB, base64Bytes } from './images.js';
import type { ConformanceCase } from './types.js';

async function codec(): Promise<ImageCodec> {
  return activeBackend()?.codec ?? codecForRuntime();
}

function pixel(img: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

/** Checks the centre of each quadrant against the colours the images were made with. */
function checkQuadrants(label: string, img: RgbImage, tolerance: number): void {
  const { width: w, height: h } = img;
  const centres: Array<[number, number]> = [[w / 4, h / 4], [(3 * w) / 4, h / 4], [w / 4, (3 * h) / 4], [(3 * w) / 4, (3 * h) / 4]];
  centres.forEach(([cx, cy], q) => {
    const got = pixel(img, Math.floor(cx), Math.floor(cy));
    const want = QUADRANT_RGB[q]!;
    const err = Math.max(...got.map((v, c) => Math.abs(v - want[c]!)));
    if (err > tolerance) throw new Error(`${label}: quadrant ${q} centre is rgb(${got.join(', ')}), expected about rgb(${want.join(', ')}) (off by ${err} > ${tolerance})`);
  });
}

function expectSize(label: string, img: RgbImage, width: number, height: number): void {
  if (img.width !== width || img.height !== height || img.data.length !== width * height * 3) {
    throw new Error(`${label}: got ${img.width}x${img.height} with ${img.data.length} bytes, expected ${width}x${height} RGB (${width * height * 3} bytes)`);
  }
}

export function codecCases(): ConformanceCase[] {
  const jpeg = base64Bytes(JPEG_48x32);
  const png = base64Bytes(PNG_40x24);
  const cases: Array<[string, () => Promise<void>]> = [
    ['JPEG decodes to RGB at its own size', async () => {
      const img = await (await codec()).decodeRgb(jpeg);
      expectSize('JPEG decode', img, 48, 32);
      checkQuadrants('JPEG decode', img, 12);
    }],
    ['PNG decodes to exact RGB pixels', async () => {
      const img = await (await codec()).decodeRgb(png);
      expectSize('PNG decode', img, 40, 24);
      checkQuadrants('PNG decode', img, 0);
    }],
    ['resize: fill to [h, w] and centre-crop cover to a square', async () => {
      const c = await codec();
      const fill = await c.decodeRgb(png, { size: [12, 20], fit: 'fill' });
      expectSize('PNG resize fill [12, 20]', fill, 20, 12);
      checkQuadrants('PNG resize fill [12, 20]', fill, 24);
      const cover = await c.decodeRgb(jpeg, { size: 16 });
      expectSize('JPEG resize cover 16', cover, 16, 16);
      checkQuadrants('JPEG resize cover 16', cover, 30);
    }],
    ['cover without enlargement: a side shorter than the box is cropped, not scaled up (sharp semantics)', async () => {
      const c = await codec();
      const wide = await c.decodeRgb(jpeg, { size: 40, fit: 'cover', withoutEnlargement: true });
      expectSize('JPEG 48x32 cover 40 withoutEnlargement', wide, 40, 32);
      checkQuadrants('JPEG 48x32 cover 40 withoutEnlargement', wide, 12);
      const small = await c.decodeRgb(png, { size: [30, 50], fit: 'cover', withoutEnlargement: true });
      expectSize('PNG 40x24 cover [30, 50] withoutEnlargement', small, 40, 24);
      checkQuadrants('PNG 40x24 cover [30, 50] withoutEnlargement', small, 0);
      const shrunk = await c.decodeRgb(jpeg, { size: 16, fit: 'cover', withoutEnlargement: true });
      expectSize('JPEG 48x32 cover 16 withoutEnlargement (a shrink, as without the flag)', shrunk, 16, 16);
    }],
    ['decode to a float32 tensor on the active backend', async () => {
      const t = await (await codec()).decode(jpeg, { size: [8, 12], fit: 'fill' });
      try {
        if (t.dtype !== 'float32' || t.shape.join(',') !== '8,12,3') throw new Error(`decode gave ${t.dtype} [${t.shape.join(', ')}], expected float32 [8, 12, 3]`);
        const means = tf.tidy(() => tf.mean(t, [0, 1]));
        const got = Array.from(await means.data());
        means.dispose();
        const want = [0, 1, 2].map((c) => QUADRANT_RGB.reduce((a, q) => a + q[c]!, 0) / 4);
        const err = Math.max(...got.map((v, c) => Math.abs(v - want[c]!)));
        if (err > 10) throw new Error(`decoded tensor channel means [${got.map((v) => v.toFixed(1)).join(', ')}], expected about [${want.join(', ')}]`);
      } finally {
        t.dispose();
      }
    }],
    ['encodePng round-trips a tensor exactly', async () => {
      const c = await codec();
      const values = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 1, 2, 3, 200, 100, 50];
      const t = tf.tensor3d(values, [2, 3, 3]);
      try {
        const back = await c.decodeRgb(await c.encodePng(t));
        expectSize('PNG round trip', back, 3, 2);
        if (Array.from(back.data).join() !== values.join()) throw new Error(`PNG round trip changed pixels: [${Array.from(back.data).join(', ')}]`);
      } finally {
        t.dispose();
      }
    }],
    ['rejects empty and HTML bytes with ImageDecodeError', async () => {
      const c = await codec();
      for (const [what, bytes] of [['empty', new Uint8Array()], ['HTML', new TextEncoder().encode('<!doctype html><p>404</p>')]] as const) {
        const err = await c.decodeRgb(bytes).then(() => undefined, (e: unknown) => e as Error);
        if (!err) throw new Error(`decoding ${what} bytes succeeded; expected an ImageDecodeError`);
        if (err.name !== 'ImageDecodeError') throw new Error(`decoding ${what} bytes threw ${err.name}: ${err.message}; expected an ImageDecodeError`);
      }
    }],
  ];
  return cases.map(([name, run]) => ({ group: 'codec', name, run }));
}
