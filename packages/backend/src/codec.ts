import { detectRuntime } from './runtime.js';
import { registeredCodec } from './codec-registry.js';
import type { ImageCodec, Runtime } from './types.js';

export { registerCodec } from './codec-registry.js';

/** The platform codec for a runtime: sharp in Node, createImageBitmap/OffscreenCanvas elsewhere. */
export async function codecForRuntime(runtime: Runtime = detectRuntime()): Promise<ImageCodec> {
  const registered = registeredCodec(runtime);
  if (registered) return registered;
  if (runtime === 'node') {
    const spec = './node.js';
    return ((await import(/* @vite-ignore */ spec)) as typeof import('./node.js')).sharpCodec;
  }
  const g = globalThis as Record<string, unknown>;
  if (typeof g.createImageBitmap === 'function' && typeof g.OffscreenCanvas === 'function') {
    return (await import('./codec-browser.js')).browserCodec;
  }
  throw new Error(`No image codec for the '${runtime}' runtime: it lacks createImageBitmap/OffscreenCanvas. Decode images elsewhere and pass RGB pixels.`);
}
