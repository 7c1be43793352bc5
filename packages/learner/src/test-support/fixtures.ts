import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { Rng } from '@bears/data';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
export const MOBILENET_DIR = path.join(SHARED, 'models/mobilenet_v1_0.75_224');
export const DARKNET_DIR = path.join(SHARED, 'models/darknet_tiny_imagenet');
export const BEARS_DIR = path.join(SHARED, 'data/bears');

export async function wasm() {
  return useBackend('wasm', { env: null });
}

export async function tempDir(prefix = 'bears-learner-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/**
 * A tiny 3-class image folder: class c is noisy images dominated by one colour channel, so a small
 * network separates them easily. Returns the root folder (root/<class>/<n>.png).
 */
export async function makeImageFolder(options: { perClass?: number; size?: number; classes?: string[] } = {}): Promise<string> {
  const root = await tempDir('bears-learner-data-');
  const classes = options.classes ?? ['red', 'green', 'blue'];
  const n = options.perClass ?? 10;
  const size = options.size ?? 40;
  const rng = new Rng(7, 'fixture');
  const rand = () => rng.next();
  for (let c = 0; c < classes.length; c++) {
    await mkdir(path.join(root, classes[c]!), { recursive: true });
    for (let i = 0; i < n; i++) {
      const px = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        for (let ch = 0; ch < 3; ch++) px[p * 3 + ch] = Math.floor(ch === c % 3 ? 150 + rand() * 100 : rand() * 110);
      }
      const png = await sharp(px, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
      await writeFile(path.join(root, classes[c]!, `${i}.png`), png);
    }
  }
  return root;
}

/** A small layers model (conv, BN, relu, conv, BN, relu 'feat', pool, dense) written as model.json + one shard. */
export async function makeTinyModelFolder(dir?: string, options: { size?: number } = {}): Promise<string> {
  const out = dir ?? (await tempDir('bears-learner-model-'));
  const size = options.size ?? 32;
  const input = tfl.input({ shape: [size, size, 3], name: 'in' });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'c1', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'r1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', name: 'c2', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'feat' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ units: 10, name: 'fc', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: y });
  // Non-trivial BN statistics, so "the frozen body kept its running stats" is a real check.
  for (const name of ['bn1', 'bn2']) {
    const l = model.getLayer(name);
    const [gamma, beta, mean, variance] = l.getWeights();
    l.setWeights([gamma!, beta!, tf.fill(mean!.shape, 0.1), tf.fill(variance!.shape, 2)]);
  }
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  model.dispose();
  const data = artifacts!.weightData as ArrayBuffer;
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'group1-shard1of1'), new Uint8Array(data));
  await writeFile(
    path.join(out, 'model.json'),
    JSON.stringify({ format: 'layers-model', modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1'], weights: artifacts!.weightSpecs }] }),
  );
  return out;
}
