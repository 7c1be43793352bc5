import { detectRuntime } from './runtime.js';
import type { ImageCodec, Runtime } from './types.js';

// Kept on globalThis so two copies of this module (a bundler quirk) still share one table.
const KEY = Symbol.for('@bears/backend/codecs');
function codecs(): Map<Runtime, ImageCodec> {
  const g = globalThis as unknown as Record<symbol, Map<Runtime, ImageCodec> | undefined>;
  return (g[KEY] ??= new Map());
}

/** Sets the codec `codecForRuntime(runtime)` returns; '@bears/backend/node' registers sharp for 'node'. */
export function registerCodec(runtime: Runtime, codec: ImageCodec): void {
  codecs().set(runtime, codec);
}

/** The platform codec for a runtime: sharp in Node, createImageBitmap/OffscreenCanvas elsewhere. */
export async function codecForRuntime(runtime: Runtime = detectRuntime()): Promise<ImageCodec> {
  const registered = codecs().get(runtime);
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
