import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerBackend, useBackend, type ActiveBackend, type ImageCodec } from '@bears/backend';
import { wasmBackend } from '@bears/backend-wasm';

/** tfjs-backend-wasm's binaries, imported as modules (in Workers a `.wasm` import is a WebAssembly.Module). */
export interface TfWasmModules {
  'tfjs-backend-wasm-simd.wasm': WebAssembly.Module;
  'tfjs-backend-wasm.wasm'?: WebAssembly.Module;
}

const PREFIX = 'https://bears-wasm.invalid/';

/**
 * Starts Bears' wasm backend inside workerd. As shipped, tfjs-backend-wasm fetches its .wasm and
 * compiles it at run time, which Workers forbid ("both async and sync fetching of the wasm
 * failed"). Here its fetch of the binary is answered locally and WebAssembly.instantiateStreaming
 * instantiates the module bundled with the Worker instead; both patches are undone after init.
 * Threads are off (no Web Workers in an isolate). The registered 'wasm' plugin keeps its kernels
 * but gets the given codec, since Workers have neither sharp nor createImageBitmap.
 */
export async function useWorkersWasmBackend(modules: TfWasmModules, codec: ImageCodec): Promise<ActiveBackend> {
  const g = globalThis as { fetch: typeof fetch };
  const wa = WebAssembly as { instantiateStreaming?: typeof WebAssembly.instantiateStreaming };
  const realFetch = g.fetch;
  const realStreaming = wa.instantiateStreaming;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths(PREFIX);
  g.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(PREFIX)) return new Response(null, { status: 200, headers: { 'x-bears-wasm': url.slice(PREFIX.length) } });
    return realFetch(input, init);
  }) as typeof fetch;
  wa.instantiateStreaming = (async (source: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) => {
    const res = await source;
    const name = res.headers.get('x-bears-wasm') as keyof TfWasmModules | null;
    const module = name ? modules[name] : undefined;
    if (!module) throw new Error(`no bundled wasm module for ${name ?? res.url}`);
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  }) as typeof WebAssembly.instantiateStreaming;
  try {
    registerBackend({ ...wasmBackend, codec: async () => codec, capabilities: () => ({ ...wasmBackend.capabilities(), runtime: 'edge' }) });
    return await useBackend('wasm', { env: null });
  } finally {
    g.fetch = realFetch;
    wa.instantiateStreaming = realStreaming;
  }
}
