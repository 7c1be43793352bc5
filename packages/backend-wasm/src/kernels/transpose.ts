import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel } from './override.js';
import { heapOffset, nativeKernels } from './wasm/native.js';

/**
 * Collapses a permutation: size-1 dims are dropped and input dims that stay adjacent and in order
 * in the output merge. Returns the collapsed input shape and permutation.
 */
export function collapsePermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const groups: Array<{ first: number; last: number; size: number }> = [];
  for (const p of perm) {
    if (shape[p] === 1) continue;
    const g = groups.at(-1);
    if (g && p === g.last + 1) {
      g.last = p;
      g.size *= shape[p]!;
    } else {
      groups.push({ first: p, last: p, size: shape[p]! });
    }
  }
  const byInput = [...groups].sort((a, b) => a.first - b.first);
  return { shape: byInput.map((g) => g.size), perm: groups.map((g) => byInput.indexOf(g)) };
}

/**
 * Transpose with native paths. tfjs-wasm's Transpose computes every index (tens of ms on a
 * MobileNet activation; the 1x1 conv filter gradient transposes one per layer). After collapsing,
 * the permutations a training step produces are 2-D transposes ([1,0], [0,2,1], [2,1,0]) or block
 * swaps ([1,0,2], [0,2,1,3]): 4x4 SIMD tiles and row copies. Other patterns and 1-byte dtypes use
 * tfjs's kernel.
 */
export function transpose(args: { inputs: tf.TransposeInputs; backend: BackendWasm; attrs: tf.TransposeAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const native = nativeKernels(backend);
  const fallback = () => originalKernel(tf.Transpose)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if (!native || (x.dtype !== 'float32' && x.dtype !== 'int32') || attrs.perm.length !== x.shape.length) return fallback();
  const { shape: s, perm: p } = collapsePermutation(x.shape, attrs.perm);
  const key = p.join(',');
  const known = ['', '0', '1,0', '0,2,1', '2,1,0', '1,0,2', '0,2,1,3'];
  if (!known.includes(key)) return fallback();
  const out = backend.makeOutput(attrs.perm.map((i) => x.shape[i]!), x.dtype);
  const total = tf.util.sizeFromShape(x.shape);
  if (total === 0) return out;
  const src = heapOffset(backend, x.dataId); // after makeOutput, which may move nothing but may grow the heap
  const dst = heapOffset(backend, out.dataId);
  switch (key) {
    case '':
    case '0': {
      const heap = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
      heap.copyWithin(dst, src, src + total * 4);
      break;
    }
    case '1,0': native.transpose(src, dst, 1, s[0]!, s[1]!, 0, 0, s[1]!, s[0]!); break;
    case '0,2,1': native.transpose(src, dst, s[0]!, s[1]!, s[2]!, s[1]! * s[2]!, s[1]! * s[2]!, s[2]!, s[1]!); break;
    case '2,1,0': native.transpose(src, dst, s[1]!, s[0]!, s[2]!, s[2]!, s[0]!, s[1]! * s[2]!, s[1]! * s[0]!); break;
    case '1,0,2': native.swapBlocks(src, dst, 1, s[0]!, s[1]!, s[2]!); break;
    case '0,2,1,3': native.swapBlocks(src, dst, s[0]!, s[1]!, s[2]!, s[3]!); break;
  }
  return out;
}

export const transposeConfig: tf.KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  kernelFunc: transpose as unknown as tf.KernelFunc,
};
