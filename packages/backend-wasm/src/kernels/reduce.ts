import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { originalKernel } from './override.js';
import { composed } from './scope.js';

/**
 * Sum and Mean over a contiguous block of axes, as an XNNPACK average pooling. tfjs-wasm
 * transposes the reduced axes innermost first (about 110 ms for a [16,112,112,32] activation);
 * the batch-norm and bias gradients reduce over [0,1,2] on every layer. x is viewed as
 * [outer, reduced, 1, inner] and pooled with an [reduced, 1] window: one streaming pass.
 */
function reduceKernel(kind: 'Sum' | 'Mean') {
  return function reduce(args: { inputs: tf.SumInputs; backend: BackendWasm; attrs: tf.SumAttrs }): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const contiguous = axes.length > 0 && axes.every((a, i) => a === axes[0]! + i);
    const reduced = axes.reduce((p, a) => p * x.shape[a]!, 1);
    if (x.dtype !== 'float32' || !contiguous || reduced < 2) {
      return originalKernel(kind)(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const outer = x.shape.slice(0, axes[0]).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(axes[axes.length - 1]! + 1).reduce((p, d) => p * d, 1);
    const outShape = attrs.keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    return composed(backend, kind, (s) => {
      const v = s.reshape(x, [outer, reduced, 1, inner]);
      const avg = s.run(tf.AvgPool, { x: v }, { filterSize: [reduced, 1], strides: [1, 1], pad: 'valid' });
      if (kind === 'Mean') return s.reshape(avg, outShape);
      const n = s.track(backend.makeOutput([], 'float32'));
      backend.typedArrayFromHeap(n).set([reduced]);
      return s.reshape(s.run(tf.Multiply, { a: avg, b: n }), outShape);
    });
  };
}

export const sumConfig: tf.KernelConfig = { kernelName: tf.Sum, backendName: 'wasm', kernelFunc: reduceKernel('Sum') as unknown as tf.KernelFunc };
export const meanConfig: tf.KernelConfig = { kernelName: tf.Mean, backendName: 'wasm', kernelFunc: reduceKernel('Mean') as unknown as tf.KernelFunc };
