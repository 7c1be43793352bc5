import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, nativeKernels } from './wasm/native.js';

/**
 * Fused backward passes for batch norm and the ReLU family. tfjs-core's gradients compose them from
 * elementwise ops: relu6's is lessEqual, step, cast, two multiplies (tfjs-layers' relu6,
 * minimum(6, relu(x)), is greater + cast + mul, then step + cast + mul); batch norm's makes about
 * 14 full-size passes (tile, sub, seven multiplies, four sums). Here each is one or two passes of a
 * wasm SIMD kernel. tfjs keeps one gradient per op for every backend, so the overrides below use
 * these kernels only on 'wasm' with the native module linked and float32 shapes they cover, and call
 * tfjs's own gradient otherwise.
 */
export const GateGrad = 'BearsGateGrad';
export const BatchNormGradSums = 'BearsBatchNormGradSums';

interface GateAttrs { lo: number; hi: number; loIncl: boolean; hiIncl: boolean }

function gateGrad(args: { inputs: { x: tf.TensorInfo; dy: tf.TensorInfo }; backend: BackendWasm; attrs: GateAttrs }): tf.TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const native = nativeKernels(backend)!;
  const out = backend.makeOutput(x.shape, 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  if (n > 0) {
    native.gateGrad(heapOffset(backend, x.dataId), heapOffset(backend, dy.dataId), heapOffset(backend, out.dataId), n,
      attrs.lo, attrs.hi, attrs.loIncl ? 1 : 0, attrs.hiIncl ? 1 : 0);
  }
  return out;
}

function batchNormGradSums(args: { inputs: { x: tf.TensorInfo; dy: tf.TensorInfo; mean: tf.TensorInfo }; backend: BackendWasm }): tf.TensorInfo {
  const { inputs: { x, dy, mean }, backend } = args;
  const c = x.shape.at(-1)!;
  const out = backend.makeOutput([2, c], 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  nativeKernels(backend)!.bnGradSums(heapOffset(backend, x.dataId), heapOffset(backend, dy.dataId), heapOffset(backend, mean.dataId),
    heapOffset(backend, out.dataId), c === 0 ? 0 : n / c, c);
  return out;
}

export const gateGradConfig: tf.KernelConfig = { kernelName: GateGrad, backendName: 'wasm', kernelFunc: gateGrad as unknown as tf.KernelFunc };
export const batchNormGradSumsConfig: tf.KernelConfig = { kernelName: BatchNormGradSums, backendName: 'wasm', kernelFunc: batchNormGradSums as unknown as tf.KernelFunc };

let fusedEnabled = true;

/** For tests and comparisons: use tfjs-core's own gradients everywhere. */
export function setFusedGradientsEnabled(on: boolean): void {
  fusedEnabled = on;
}

/** True where the fused kernels can run: the wasm backend is current and its native module linked. */
function fusable(...tensors: Array<tf.Tensor | undefined>): boolean {
  if (!fusedEnabled || tf.getBackend() !== 'wasm' || !nativeKernels(tf.backend() as BackendWasm)) return false;
  return tensors.every((t) => !t || t.dtype === 'float32');
}

const gate = (x: tf.Tensor, dy: tf.Tensor, attrs: GateAttrs): tf.Tensor =>
  tf.engine().runKernel(GateGrad, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

type GradFunc = tf.GradConfig['gradFunc'];

/** Replaces tfjs's gradient for `kernelName`, keeping tfjs's as the fallback (once: later calls are no-ops). */
function overrideGradient(kernelName: string, make: (original: GradFunc) => GradFunc): void {
  const current = tf.getGradient(kernelName);
  if (!current || (current.gradFunc as { bears?: boolean }).bears) return;
  const gradFunc = make(current.gradFunc);
  (gradFunc as { bears?: boolean }).bears = true;
  tf.registerGradient({ ...current, gradFunc });
}

/** Installs the fused gradients of Relu, Relu6, Minimum/Maximum against a scalar and FusedBatchNorm. */
export function registerFusedGradients(): void {
  overrideGradient(tf.Relu6, (original) => (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    if (!fusable(x, dy as tf.Tensor)) return original(dy, saved, attrs);
    return { x: () => gate(x!, dy as tf.Tensor, { lo: 0, hi: 6, loIncl: false, hiIncl: true }) };
  });
  overrideGradient(tf.Relu, (original) => (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    if (!fusable(x, dy as tf.Tensor)) return original(dy, saved, attrs);
    return { x: () => gate(x!, dy as tf.Tensor, { lo: 0, hi: Infinity, loIncl: false, hiIncl: false }) };
  });
  // minimum(a, b): da = dy * (a <= b), db = dy * (a > b); maximum(a, b): da = dy * (a >= b), db = dy * (a < b).
  for (const [kernelName, isMin] of [[tf.Minimum, true], [tf.Maximum, false]] as const) {
    overrideGradient(kernelName, (original) => (dy, saved, attrs) => {
      const [a, b] = saved as tf.Tensor[];
      const g = dy as tf.Tensor;
      const tensorSide = a!.size !== 1 && b!.size === 1 ? 'a' : b!.size !== 1 && a!.size === 1 ? 'b' : undefined;
      if (!tensorSide || !fusable(a, b, g) || !tf.util.arraysEqual(g.shape, (tensorSide === 'a' ? a : b)!.shape)) return original(dy, saved, attrs);
      const grads = original(dy, saved, attrs); // keeps tfjs's gradient for the scalar side
      const t = tensorSide === 'a' ? a! : b!;
      const s = (tensorSide === 'a' ? b! : a!).dataSync()[0]!;
      // The tensor side's pass condition as an interval of its values (see the table above).
      const attrsFor: GateAttrs = isMin
        ? { lo: -Infinity, hi: s, loIncl: false, hiIncl: tensorSide === 'a' }
        : { lo: s, hi: Infinity, loIncl: tensorSide === 'a', hiIncl: false };
      return { ...grads, [tensorSide]: () => gate(t, g, attrsFor) };
    });
  }
  overrideGradient(tf.FusedBatchNorm, (original) => (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as Array<tf.Tensor | undefined>;
    const g = dy as tf.Tensor;
    const c = x!.shape.at(-1) ?? 0;
    const perChannel = (t: tf.Tensor | undefined) => !t || (t.rank === 1 && t.size === c);
    if (!fusable(x, mean, variance, scale, g) || x!.rank === 0 || ![mean, variance, scale].every(perChannel) || !mean || !variance) {
      return original(dy, saved, attrs);
    }
    const eps = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon ?? 0.001;
    // One pass over x and dy gives every parameter's gradient. Computed here, not in the closures:
    // tfjs runs each closure in its own tidy, and these live until the backward pass ends.
    const [sumDy, sumDyXmu] = tf.split(tf.engine().runKernel(BatchNormGradSums, { x: x!, dy: g, mean }) as tf.Tensor, 2, 0).map((t) => tf.reshape(t, [c]));
    const rsqrt = tf.rsqrt(tf.add(variance, eps));
    const scaleOr1 = scale ?? tf.onesLike(mean);
    return {
      // dy * scale / sqrt(var + eps): batch norm's own one-pass kernel with mean 0 and no offset.
      x: () => tf.batchNorm(g, tf.zerosLike(mean), variance, undefined, scale, eps),
      mean: () => tf.reshape(tf.mul(tf.mul(tf.neg(rsqrt), scaleOr1), sumDy!), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(tf.pow(rsqrt, 3), -0.5), scaleOr1), sumDyXmu!), variance.shape),
      scale: () => tf.reshape(tf.mul(rsqrt, sumDyXmu!), mean.shape),
      offset: () => tf.reshape(sumDy!, mean.shape),
    };
  });
}
