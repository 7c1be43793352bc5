import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel } from './override.js';

/**
 * Tile with a memcpy fast path. tfjs's batch-norm gradient tiles a [1,1,1,C] vector to the full
 * activation shape; tfjs-wasm's Tile computes every output index (seconds per MobileNet step).
 * When only size-1 leading dims repeat, the output is the input repeated back to back: copy it
 * once, then double the filled prefix with copyWithin. Other patterns use tfjs's kernel.
 */
export function tile(args: { inputs: tf.TileInputs; backend: BackendWasm; attrs: tf.TileAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const reps = attrs.reps;
  let last = -1;
  for (let i = 0; i < reps.length; i++) if (reps[i]! > 1) last = i;
  const leadingOnly = x.dtype !== 'string' && reps.length === x.shape.length && x.shape.slice(0, last + 1).every((d) => d === 1);
  if (!leadingOnly) return originalKernel(tf.Tile)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, x.dtype);
  const bytesPer = x.dtype === 'bool' ? 1 : 4;
  const block = tf.util.sizeFromShape(x.shape) * bytesPer;
  const total = tf.util.sizeFromShape(outShape) * bytesPer;
  if (total === 0) return out;
  const heap = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8; // read after makeOutput: allocation may grow (and replace) the heap
  const src = (backend.dataIdMap.get(x.dataId) as { memoryOffset: number }).memoryOffset;
  const dst = (backend.dataIdMap.get(out.dataId) as { memoryOffset: number }).memoryOffset;
  heap.copyWithin(dst, src, src + block);
  for (let filled = block; filled < total; filled *= 2) {
    heap.copyWithin(dst + filled, dst, dst + Math.min(filled, total - filled));
  }
  return out;
}

export const tileConfig: tf.KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'wasm',
  kernelFunc: tile as unknown as tf.KernelFunc,
};
