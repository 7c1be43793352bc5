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

export function registeredCodec(runtime: Runtime): ImageCodec | undefined {
  return codecs().get(runtime);
}
