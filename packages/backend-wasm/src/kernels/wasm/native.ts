import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as binary from './kernels.wasm.js';

/** Hand-written wasm kernels that run on tfjs-backend-wasm's own heap (see kernels.wat beside this file). */
export interface NativeKernels {
  maxPoolGrad(
    x: number, dy: number, dx: number,
    B: number, H: number, W: number, C: number, OH: number, OW: number, FH: number, FW: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  ): void;
  depthwiseFilterGrad(
    x: number, dy: number, out: number,
    B: number, H: number, W: number, C: number, OH: number, OW: number, FH: number, FW: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  ): void;
  /** dst[b*dbs + c*drs + r] = src[b*sbs + r*srs + c] for b < nb, r < R, c < C (strides in elements, 4-byte elements). */
  transpose(src: number, dst: number, nb: number, R: number, C: number, sbs: number, dbs: number, srs: number, drs: number): void;
  /** [nb, A, B, D] -> [nb, B, A, D], 4-byte elements. */
  swapBlocks(src: number, dst: number, nb: number, A: number, B: number, D: number): void;
  /** out[r, j] = x[r, j] * scale[j] + shift[j] for r < rows, j < c (float32). */
  scaleShift(x: number, scale: number, shift: number, out: number, rows: number, c: number): void;
  /** out[i] = dy[i] where lo < x[i] < hi (either end closed by loIncl / hiIncl = 1), else 0 (float32). */
  gateGrad(x: number, dy: number, out: number, n: number, lo: number, hi: number, loIncl: number, hiIncl: number): void;
  /** out[j] = sum_r dy[r, j], out[c + j] = sum_r dy[r, j] * (x[r, j] - mean[j]) for r < rows (float32). */
  bnGradSums(x: number, dy: number, mean: number, out: number, rows: number, c: number): void;
  /**
   * The patches of a convolution as rows: cols[p, kh, kw, c] = x[b, oh*sh + kh*dh - pt, ow*sw + kw*dw - pl, c]
   * (0 outside x), p = (b*OH + oh)*OW + ow.
   */
  im2col(
    x: number, cols: number,
    B: number, H: number, W: number, C: number, OH: number, OW: number, FH: number, FW: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  ): void;
  /** The adjoint of im2col: dx (zeroed first) gets every patch row added back where im2col read it. */
  col2im(
    cols: number, dx: number,
    B: number, H: number, W: number, C: number, OH: number, OW: number, FH: number, FW: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number,
  ): void;
  /**
   * c[m, n] = sum_k a[k, m] * b[k, n] for a: [K, M], b: [K, N], c: [M, N] (float32, row-major; N a
   * multiple of 8), k taken in chunks of kc rows.
   */
  gemmTN(a: number, b: number, c: number, K: number, M: number, N: number, kc: number): void;
  /** Elementwise ops on float32: out[r, j] = a[r, j] op b[j] for r < rows, j < c (c = 1: b is a scalar). */
  binary: Record<BinaryOpName, (a: number, b: number, out: number, rows: number, c: number) => void>;
}

export const binaryOpNames = ['add', 'sub', 'subR', 'mul', 'div', 'divR', 'less', 'lessEqual', 'greater', 'greaterEqual', 'equal'] as const;
export type BinaryOpName = (typeof binaryOpNames)[number];

let enabled = true;
const instances = new WeakMap<WebAssembly.Memory, NativeKernels | null>();

/** For tests and comparisons: turn the native kernels off to exercise the pure-XNNPACK compositions. */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
}

function bytes(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function heapMemory(backend: BackendWasm): WebAssembly.Memory | undefined {
  const module = backend.wasm as unknown as { asm?: Record<string, unknown>; wasmMemory?: unknown };
  // The threaded build imports its (shared) memory rather than exporting it.
  if (module.wasmMemory instanceof WebAssembly.Memory) return module.wasmMemory;
  const asm = module.asm;
  if (!asm) return undefined;
  if (asm.memory instanceof WebAssembly.Memory) return asm.memory;
  return Object.values(asm).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
}

/**
 * The native kernels bound to this backend's heap, or undefined where they cannot be linked
 * (an unexpected tfjs-backend-wasm build, SIMD unsupported): callers then use XNNPACK compositions.
 */
export function nativeKernels(backend: BackendWasm): NativeKernels | undefined {
  if (!enabled) return undefined;
  const memory = heapMemory(backend);
  if (!memory) return undefined;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    try {
      const isShared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const module = new WebAssembly.Module(bytes(isShared ? binary.shared : binary.plain));
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      kernels = {
        depthwiseFilterGrad: instance.exports.depthwiseFilterGrad as NativeKernels['depthwiseFilterGrad'],
        maxPoolGrad: instance.exports.maxPoolGrad as NativeKernels['maxPoolGrad'],
        transpose: instance.exports.transpose as NativeKernels['transpose'],
        swapBlocks: instance.exports.swapBlocks as NativeKernels['swapBlocks'],
        scaleShift: instance.exports.scaleShift as NativeKernels['scaleShift'],
        gateGrad: instance.exports.gateGrad as NativeKernels['gateGrad'],
        bnGradSums: instance.exports.bnGradSums as NativeKernels['bnGradSums'],
        im2col: instance.exports.im2col as NativeKernels['im2col'],
        col2im: instance.exports.col2im as NativeKernels['col2im'],
        gemmTN: instance.exports.gemmTN as NativeKernels['gemmTN'],
        binary: Object.fromEntries(binaryOpNames.map((n) => [n, instance.exports[n]])) as NativeKernels['binary'],
      };
    } catch {
      kernels = null;
    }
    instances.set(memory, kernels);
  }
  return kernels ?? undefined;
}

/** Byte offset of a tensor's data on the wasm heap. */
export function heapOffset(backend: BackendWasm, dataId: object): number {
  return (backend.dataIdMap.get(dataId) as { memoryOffset: number }).memoryOffset;
}
