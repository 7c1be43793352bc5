// tfjs-backend-wasm fetches its .wasm binaries at init; Vite emits them as assets and gives their URLs.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export function serveWasmFromAssets(): void {
  const abs = (u: string) => new URL(u, self.location.href).href;
  setWasmPaths({ 'tfjs-backend-wasm.wasm': abs(plain), 'tfjs-backend-wasm-simd.wasm': abs(simd), 'tfjs-backend-wasm-threaded-simd.wasm': abs(threadedSimd) });
}
