import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

// Inference forwards (feature extraction, predict) on wasm run each frozen BatchNormalization that
// feeds only a relu6 Activation as ONE op: a 1x1 depthwise convolution with the batch norm's
// per-channel scale as filter, its shift as bias and relu6 fused (XNNPACK's multiply-add pass,
// spread over the wasm threads). Unfused, that is three passes over the activation, the batch norm
// on one thread: on 2 threads they took a growing share of the forward. The scale and shift are
// computed exactly as @bears/backend-wasm's FusedBatchNorm kernel does, and XNNPACK multiplies
// then adds as that kernel does, so the outputs are the same bits (fused-inference.test.ts).

interface BnLayer {
  axis: number;
  epsilon: number;
  movingMean: { read(): tf.Tensor };
  movingVariance: { read(): tf.Tensor };
  gamma?: { read(): tf.Tensor } | null;
  beta?: { read(): tf.Tensor } | null;
}

type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
interface Patchable {
  call: Call;
  outboundNodes: Array<{ outboundLayer: unknown }>;
  inboundNodes: Array<{ inboundLayers: unknown[] }>;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
}

let active = 0;
const patched = new WeakSet<object>();

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/** The batch norm's relu6 output in one pass, or undefined when the shapes do not fit. */
function bnRelu6(bn: BnLayer, x: tf.Tensor): tf.Tensor | undefined {
  const c = x.shape[3]!;
  if (x.rank !== 4 || x.dtype !== 'float32' || (bn.axis !== -1 && bn.axis !== 3)) return undefined;
  const read = (v: { read(): tf.Tensor } | null | undefined, fill: number) => (v ? (v.read().dataSync() as Float32Array) : new Float32Array(c).fill(fill));
  const [mean, variance, gamma, beta] = [read(bn.movingMean, 0), read(bn.movingVariance, 1), read(bn.gamma, 1), read(bn.beta, 0)];
  if (mean.length !== c || variance.length !== c || gamma.length !== c || beta.length !== c) return undefined;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    scale[j] = gamma[j]! / Math.sqrt(variance[j]! + bn.epsilon);
    shift[j] = beta[j]! - mean[j]! * scale[j]!;
  }
  return tf.tidy(() => tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: tf.tensor4d(scale, [1, 1, c, 1]), strides: 1, pad: 'valid', bias: tf.tensor1d(shift), activation: 'relu6' }));
}

function isRelu6(layer: Patchable): boolean {
  return layer.getClassName() === 'Activation' && layer.getConfig().activation === 'relu6';
}

/** Patches the model's BatchNormalization -> relu6 pairs (once per layer): fused only inside fusedInference(). */
function patch(model: tfl.LayersModel): void {
  for (const l of model.layers as unknown as Patchable[]) {
    if (patched.has(l) || l.getClassName() !== 'BatchNormalization') continue;
    const next = l.outboundNodes.length === 1 ? (l.outboundNodes[0]!.outboundLayer as Patchable) : undefined;
    if (!next || !isRelu6(next) || next.inboundNodes.length !== 1 || next.inboundNodes[0]!.inboundLayers[0] !== l || patched.has(next)) continue;
    patched.add(l);
    patched.add(next);
    const bnCall = l.call.bind(l);
    const actCall = next.call.bind(next);
    // The batch norm hands its relu6'd output on, flagged, and the relu6 passes a flagged tensor as is.
    const fusedOut = new WeakSet<tf.Tensor>();
    l.call = (inputs, kwargs) => {
      if (active === 0 || kwargs?.training) return bnCall(inputs, kwargs);
      const y = bnRelu6(l as unknown as BnLayer, one(inputs));
      if (!y) return bnCall(inputs, kwargs);
      fusedOut.add(y);
      return y;
    };
    next.call = (inputs, kwargs) => {
      const x = one(inputs);
      if (fusedOut.has(x)) return x.clone();
      return actCall(inputs, kwargs);
    };
  }
}

/**
 * Runs `fn` (a synchronous inference forward of `model`) with its frozen batch norm + relu6 pairs
 * fused, when `enabled` (the wasm backend); else just runs it. Same outputs, fewer passes.
 */
export function fusedInference<T>(model: tfl.LayersModel, enabled: boolean, fn: () => T): T {
  if (!enabled) return fn();
  patch(model);
  active++;
  try {
    return fn();
  } finally {
    active--;
  }
}
