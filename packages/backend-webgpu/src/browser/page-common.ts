import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** tfjs-backend-wasm fetches its .wasm binaries from here; the harness serves them under /wasm/. */
export function serveWasmFromOrigin(): void {
  setWasmPaths(new URL('/wasm/', (globalThis as { location?: { href: string } }).location!.href).href);
}

export function errorText(err: unknown): string {
  const e = err as Error | undefined;
  return e?.stack && e.message && !e.stack.includes(e.message) ? `${e.message}\n${e.stack}` : (e?.stack ?? e?.message ?? String(err));
}
