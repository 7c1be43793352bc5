import { browserCodec } from '@bears/backend/browser';
import type { ImageCodec } from '@bears/backend';

/** The browser codec (createImageBitmap + OffscreenCanvas), in pages and Web Workers alike. */
export async function browserImageCodec(): Promise<ImageCodec> {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.createImageBitmap !== 'function' || typeof g.OffscreenCanvas !== 'function') {
    throw new Error('The browser image codec needs createImageBitmap and OffscreenCanvas (any current browser, page or Web Worker)');
  }
  return browserCodec;
}
