import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

// Inference-time batch norm is an affine map per channel, so conv -> BN is one conv with scaled
// kernels and a bias: y = (conv(x) - mean) * gamma / sqrt(var + eps) + beta. Folding removes one
// full pass over every activation map; a following relu/relu6 Activation moves into the conv so
// tfjs can run a fused conv + bias + activation kernel.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Inbound = [string, number, number, Json];

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D']);
const FUSABLE = new Set(['relu', 'relu6']);

function inboundNames(layer: Json): string[] {
  return ((layer.inbound_nodes ?? []) as Inbound[][]).flatMap((node) => node.map((i) => i[0]));
}

interface Fold {
  conv: string;
  bn: string;
  activation?: string; // the Activation layer merged into the conv
}

/** Returns a new model with conv -> BN (-> relu/relu6) folded, or the same model when nothing folds. */
export async function foldBatchNorm(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const topology = model.toJSON(null, false) as Json;
  const config = topology.config as Json;
  const layers = config.layers as Json[];
  if (!Array.isArray(layers)) return model;
  const byName = new Map(layers.map((l) => [l.name as string, l]));
  const consumers = new Map<string, string[]>();
  for (const l of layers) for (const n of inboundNames(l)) consumers.set(n, [...(consumers.get(n) ?? []), l.name]);
  const outputs = new Set(((config.output_layers ?? []) as [string][]).map((o) => o[0]));

  const folds: Fold[] = [];
  for (const bn of layers) {
    if (bn.class_name !== 'BatchNormalization' || (bn.inbound_nodes ?? []).length !== 1) continue;
    const axis = bn.config.axis;
    if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) continue;
    const ins = inboundNames(bn);
    const conv = ins.length === 1 ? byName.get(ins[0]!) : undefined;
    if (!conv || !CONVS.has(conv.class_name) || (conv.inbound_nodes ?? []).length !== 1) continue;
    if ((conv.config.activation ?? 'linear') !== 'linear' || outputs.has(conv.name) || (consumers.get(conv.name) ?? []).length !== 1) continue;
    const fold: Fold = { conv: conv.name, bn: bn.name };
    const next = consumers.get(bn.name) ?? [];
    const act = next.length === 1 ? byName.get(next[0]!) : undefined;
    if (act && act.class_name === 'Activation' && FUSABLE.has(act.config.activation) && !outputs.has(bn.name) && (act.inbound_nodes ?? []).length === 1) {
      fold.activation = act.name;
    }
    folds.push(fold);
  }
  if (folds.length === 0) return model;

  // Rewire: whoever read the BN (or the merged activation) now reads the conv.
  const renamed = new Map<string, string>();
  const removed = new Set<string>();
  for (const f of folds) {
    const conv = byName.get(f.conv)!;
    conv.config.use_bias = true;
    renamed.set(f.bn, f.conv);
    removed.add(f.bn);
    if (f.activation) {
      conv.config.activation = byName.get(f.activation)!.config.activation;
      renamed.set(f.activation, f.conv);
      removed.add(f.activation);
    }
  }
  config.layers = layers.filter((l) => !removed.has(l.name));
  for (const l of config.layers as Json[]) {
    for (const node of (l.inbound_nodes ?? []) as Inbound[][]) for (const i of node) i[0] = renamed.get(i[0]) ?? i[0];
  }
  for (const o of (config.output_layers ?? []) as [string][]) o[0] = renamed.get(o[0]) ?? o[0];

  const folded = (await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0])) as tfl.LayersModel;
  const foldedWeights = new Map(folds.map((f) => [f.conv, f]));
  for (const layer of folded.layers) {
    const f = foldedWeights.get(layer.name);
    if (f) {
      const ws = foldWeights(model.getLayer(f.conv), model.getLayer(f.bn));
      layer.setWeights(ws);
      tf.dispose(ws);
    } else if (layer.weights.length > 0) {
      layer.setWeights(model.getLayer(layer.name).getWeights());
    }
  }
  return folded;
}

function foldWeights(conv: tfl.layers.Layer, bn: tfl.layers.Layer): tf.Tensor[] {
  const cc = conv.getConfig() as Json;
  const bc = bn.getConfig() as Json;
  const cw = conv.getWeights();
  const kernel = cw[0]!.dataSync() as Float32Array;
  const kshape = cw[0]!.shape;
  const bw = bn.getWeights();
  let k = 0;
  const gamma = bc.scale ? (bw[k++]!.dataSync() as Float32Array) : undefined;
  const beta = bc.center ? (bw[k++]!.dataSync() as Float32Array) : undefined;
  const mean = bw[k++]!.dataSync() as Float32Array;
  const variance = bw[k++]!.dataSync() as Float32Array;
  const channels = mean.length;
  const bias = cc.useBias && cw[1] ? (cw[1].dataSync() as Float32Array) : new Float32Array(channels);
  const eps = (bc.epsilon as number) ?? 1e-3;
  const scale = new Float32Array(channels);
  const newBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps);
    newBias[c] = (bias[c]! - mean[c]!) * scale[c]! + (beta ? beta[c]! : 0);
  }
  // Conv2D kernels are [kh, kw, in, out]; depthwise ones [kh, kw, in, mult] with output in*mult + m:
  // either way the output channel is the flat index modulo in*mult (= channels) in HWIO order.
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) out[i] = kernel[i]! * scale[i % channels]!;
  return [tf.tensor(out, kshape), tf.tensor1d(newBias)];
}
