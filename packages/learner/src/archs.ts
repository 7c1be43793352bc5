import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ARCH_CHECKSUMS } from './arch-checksums.js';
import { detectRuntime } from '@bears/backend';
import { LearnerError, ModelFileError } from './errors.js';
import { modelArtifactsFrom, type ArtifactsOptions } from './model-files.js';
import { imagenetStats, inceptionStats, unitStats, type Normalization } from './normalization.js';
import { resnetBody, type ResNetDepth } from './resnet.js';

/** How to get a body: a pretrained layers model cut at a layer, or a from-scratch builder. */
export interface ArchSpec {
  name: string;
  description?: string;
  /** Folder or http(s) URL of a layers model.json (pretrained ImageNet weights). */
  source?: string;
  /** Name of the layer whose output is the body's output (the feature map the head pools). */
  cut?: string;
  /** First layer of the second body group (discriminative learning rates); default: the middle weighted layer. */
  split?: string;
  normalize: Normalization;
  /** Input size the weights were trained at. */
  inputSize: number;
  /** sha256 of model.json and shards, checked on every load. */
  checksums?: Record<string, string>;
  /** From-scratch builder (ResNets); when set, pretrained weights come only from a Bears export/checkpoint. */
  build?: (inputSize: number) => tfl.LayersModel;
}

const MOBILENET_URL =
  'https://raw.githubusercontent.com/tangmingsh/ml5featureExtractormodel/238fbc538b0dd3d3993a1ebaf5f68fa679c99fa7/mobilenet_v1_0.75_224/model.json';
const DARKNET_URL =
  'https://raw.githubusercontent.com/ml5js/ml5-data-and-models/0612a3e7c51cbffdc5db701dff49d16d1ac26fa8/models/darknetclassifier/darknettiny/model.json';

const registry = new Map<string, ArchSpec>();

/** Adds or replaces an architecture under its name. */
export function registerArch(spec: ArchSpec): void {
  if (!spec.name) throw new LearnerError('registerArch: the spec needs a name');
  if (!spec.build && (!spec.source || !spec.cut)) throw new LearnerError(`registerArch('${spec.name}'): give either build() or both source and cut`);
  registry.set(spec.name, spec);
}

export function listArchs(): string[] {
  return [...registry.keys()];
}

registerArch({
  name: 'mobilenet_v1_0.75',
  description: "MobileNet v1 alpha 0.75, 224 px, Google's ImageNet weights (Apache-2.0)",
  source: MOBILENET_URL,
  cut: 'conv_pw_13_relu',
  split: 'conv_dw_7',
  normalize: inceptionStats,
  inputSize: 224,
  checksums: ARCH_CHECKSUMS['mobilenet_v1_0.75'],
});
registerArch({
  name: 'darknet_tiny',
  description: 'Darknet tiny reference net, ImageNet, 224 px (ml5, MIT)',
  source: DARKNET_URL,
  cut: 'leaky_re_lu_14',
  split: 'conv2d_8',
  normalize: unitStats,
  inputSize: 224,
  checksums: ARCH_CHECKSUMS['darknet_tiny'],
});
for (const depth of [18, 34, 50] as ResNetDepth[]) {
  registerArch({
    name: `resnet${depth}`,
    description: `ResNet-${depth} built with the layers API (no published tfjs ImageNet weights: train from scratch or load a Bears checkpoint)`,
    split: 'stage3_0_1_conv',
    normalize: imagenetStats,
    inputSize: 224,
    build: (size) => resnetBody(depth, size),
  });
}

/** Looks an architecture up by name (or passes a spec through), with a clear error listing the known names. */
export function getArch(arch: string | ArchSpec): ArchSpec {
  if (typeof arch !== 'string') {
    if (!arch || typeof arch !== 'object' || !arch.normalize) throw new LearnerError('arch must be a registered name or an ArchSpec with normalize');
    return arch;
  }
  const spec = registry.get(arch);
  if (!spec) throw new LearnerError(`unknown arch '${arch}' (known: ${listArchs().join(', ')}); for any layers model use customArch({ source, cut, normalize })`);
  return spec;
}

/** Any layers model by folder/URL plus the layer to cut at. */
export function customArch(options: { source: string; cut: string; normalize?: Normalization; inputSize?: number; split?: string; name?: string }): ArchSpec {
  if (!options?.source) throw new LearnerError('customArch: source (folder or URL of model.json) is required');
  if (!options.cut) throw new LearnerError('customArch: cut (the layer name to cut the body at) is required');
  return {
    name: options.name ?? `custom:${options.source}`,
    source: options.source,
    cut: options.cut,
    split: options.split,
    normalize: options.normalize ?? imagenetStats,
    inputSize: options.inputSize ?? 224,
  };
}

export interface Body {
  arch: ArchSpec;
  /** Input [null, size, size, 3] -> feature map [null, h, w, channels]. */
  model: tfl.LayersModel;
  inputSize: number;
  channels: number;
  /** Weighted layers of the two body groups (discriminative learning rates). */
  groups: [tfl.layers.Layer[], tfl.layers.Layer[]];
  pretrained: boolean;
}

/**
 * Reads a layers model (model.json + shards) for a body from a folder or URL. The default is Node's
 * disk cache ('@bears/learner/node') in Node, and a plain fetch into memory elsewhere.
 */
export type ModelReader = (source: string, options: ArtifactsOptions & { cacheDir?: string }) => Promise<tf.io.ModelArtifacts>;

/** The runtime's reader: Node's cache by a specifier bundlers do not follow, else fetch (URLs only). */
export const defaultModelReader: ModelReader = async (source, options) => {
  if (detectRuntime() === 'node') {
    const spec = './model-cache.js';
    return ((await import(/* @vite-ignore */ spec)) as typeof import('./model-cache.js')).readModelArtifacts(source, options);
  }
  if (!/^https?:\/\//i.test(source) && !/^(blob|data):/i.test(source) && !source.startsWith('/') && !source.startsWith('.')) {
    throw new LearnerError(`cannot read '${source}' here: outside Node a model source must be a URL`);
  }
  return modelArtifactsFrom(new URL(source, (globalThis as { location?: { href: string } }).location?.href).href, options);
};

export interface LoadBodyOptions extends ArtifactsOptions {
  /** Download cache for pretrained weights in Node (default $BEARS_CACHE/models or ~/.cache/bears/models). */
  cacheDir?: string;
  /** How model files are read (default: defaultModelReader). */
  readModel?: ModelReader;
  /** true: the arch's ImageNet weights; false: random init; a string: folder/URL of model.json to load instead. */
  pretrained?: boolean | string;
  inputSize?: number;
}

/** Rewrites every InputLayer's batch shape so a fully convolutional body runs at another size. */
function withInputSize(topology: unknown, size: number): unknown {
  const t = structuredClone(topology) as { model_config?: { config?: { layers?: Array<{ class_name: string; config: Record<string, unknown> }> } } };
  const layers = t.model_config?.config?.layers ?? (t as { config?: { layers?: Array<{ class_name: string; config: Record<string, unknown> }> } }).config?.layers ?? [];
  for (const l of layers) {
    if (l.class_name === 'InputLayer') {
      const shape = (l.config.batch_input_shape ?? l.config.batchInputShape) as Array<number | null> | undefined;
      if (shape && shape.length === 4) l.config.batch_input_shape = [shape[0] ?? null, size, size, shape[3] ?? 3];
    }
  }
  return t;
}

function cutModel(full: tfl.LayersModel, cut: string, where: string): tfl.LayersModel {
  let layer: tfl.layers.Layer;
  try {
    layer = full.getLayer(cut);
  } catch {
    const names = full.layers.map((l) => l.name);
    throw new LearnerError(`${where}: no layer named '${cut}' to cut at (layers: ${names.slice(-12).join(', ')}, ...)`);
  }
  const out = layer.output as tfl.SymbolicTensor;
  if (out.shape.length !== 4) throw new LearnerError(`${where}: layer '${cut}' outputs shape [${out.shape}], the body must end in a [h, w, channels] feature map`);
  const body = tfl.model({ inputs: full.inputs, outputs: out, name: 'body' });
  // The layers past the cut (ImageNet's classifier) are never used: free their weights now.
  const kept = new Set(body.layers);
  for (const l of full.layers) if (!kept.has(l)) l.dispose();
  return body;
}

function splitGroups(model: tfl.LayersModel, split?: string): [tfl.layers.Layer[], tfl.layers.Layer[]] {
  const weighted = model.layers.filter((l) => l.weights.length > 0);
  let at = split ? weighted.findIndex((l) => l.name === split) : -1;
  if (at <= 0) at = Math.floor(weighted.length / 2);
  return [weighted.slice(0, at), weighted.slice(at)];
}

/** Loads or builds an architecture's body, cut at its feature map. */
export async function loadBody(archOrName: string | ArchSpec, options: LoadBodyOptions = {}): Promise<Body> {
  const arch = getArch(archOrName);
  const inputSize = options.inputSize ?? arch.inputSize;
  const pretrained = options.pretrained ?? true;
  let model: tfl.LayersModel;
  if (arch.build) {
    model = arch.build(inputSize);
    if (typeof pretrained === 'string') {
      const artifacts = await (options.readModel ?? defaultModelReader)(pretrained, options);
      let src: tfl.LayersModel;
      try {
        src = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      } catch (err) {
        throw new ModelFileError(pretrained, `could not be built into a layers model: ${(err as Error).message}`, { cause: err });
      }
      copyWeightsByName(src, model, pretrained);
      src.dispose();
    } else if (pretrained) {
      throw new LearnerError(
        `arch '${arch.name}' has no published TensorFlow.js ImageNet weights: pass pretrained: false to train it from scratch, or pretrained: '<folder of a Bears export>' to start from your own weights`,
      );
    }
  } else {
    const source = typeof pretrained === 'string' ? pretrained : arch.source!;
    const checksums = typeof pretrained === 'string' ? undefined : arch.checksums;
    const artifacts = await (options.readModel ?? defaultModelReader)(source, { ...options, checksums });
    artifacts.modelTopology = withInputSize(artifacts.modelTopology, inputSize) as tf.io.ModelArtifacts['modelTopology'];
    if (!pretrained) {
      // Same topology, random weights (a baseline to show what pretraining buys).
      delete artifacts.weightData;
      delete artifacts.weightSpecs;
    }
    let full: tfl.LayersModel;
    try {
      full = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (err) {
      throw new LearnerError(`could not build the '${arch.name}' model from ${source}: ${(err as Error).message}`, { cause: err });
    }
    model = cutModel(full, arch.cut!, arch.name);
  }
  const shape = (model.outputs[0] as tfl.SymbolicTensor).shape;
  return { arch, model, inputSize, channels: shape[3] as number, groups: splitGroups(model, arch.split), pretrained: pretrained !== false };
}

/** Copies weights layer by layer (matched by layer and weight name) from one model into another. */
export function copyWeightsByName(from: tfl.LayersModel, to: tfl.LayersModel, where: string): void {
  const src = new Map<string, tf.Tensor>();
  for (const w of from.weights) src.set(w.originalName, w.read());
  let copied = 0;
  for (const w of to.weights) {
    const t = src.get(w.originalName);
    if (!t) continue;
    if (t.shape.join() !== w.shape.join()) throw new LearnerError(`${where}: weight '${w.originalName}' has shape [${t.shape}], the model needs [${w.shape}]`);
    w.write(t);
    copied++;
  }
  if (copied === 0) throw new LearnerError(`${where}: no weight names match this architecture (is it an export of the same arch?)`);
}
