import { detectRuntime } from './runtime.js';
import type { ImageCodec, Runtime } from './types.js';

/** The platform codec for a runtime: sharp in Node, createImageBitmap/OffscreenCanvas elsewhere. */
export async function codecForRuntime(runtime: Runtime = detectRuntime()): Promise<ImageCodec> {
  if (runtime === 'node') return (await import('./codec-node.js')).sharpCodec;
  const g = globalThis as Record<string, unknown>;
  if (typeof g.createImageBitmap === 'function' && typeof g.OffscreenCanvas === 'function') {
    return (await import('./codec-browser.js')).browserCodec;
  }
  throw new Error(`No image codec for the '${runtime}' runtime: it lacks createImageBitmap/OffscreenCanvas. Decode images elsewhere and pass RGB pixels.`);
}
