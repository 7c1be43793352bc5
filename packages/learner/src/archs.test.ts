import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { customArch, getArch, listArchs, loadBody } from './archs.js';
import { resnetBody } from './resnet.js';
import { imagenetStats, inceptionStats, unitStats } from './normalization.js';
import { DARKNET_DIR, MOBILENET_DIR, makeTinyModelFolder, wasm } from './test-support/fixtures.js';

beforeAll(async () => {
  await wasm();
});

function trainableParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((a, w) => a + w.shape.reduce<number>((x, y) => x * (y ?? 1), 1), 0);
}

describe('arch registry', () => {
  it('lists the built-in archs with their cut layers, normalization and public URLs', () => {
    expect(listArchs()).toEqual(expect.arrayContaining(['mobilenet_v1_0.75', 'darknet_tiny', 'resnet18', 'resnet34', 'resnet50']));
    const mn = getArch('mobilenet_v1_0.75');
    expect(mn).toMatchObject({ cut: 'conv_pw_13_relu', normalize: inceptionStats, inputSize: 224 });
    expect(mn.source).toMatch(/^https:\/\/raw\.githubusercontent\.com\/.*\/mobilenet_v1_0\.75_224\/model\.json$/);
    expect(Object.keys(mn.checksums!).length).toBe(56);
    expect(getArch('darknet_tiny')).toMatchObject({ cut: 'leaky_re_lu_14', normalize: unitStats });
    expect(getArch('resnet34').normalize).toEqual(imagenetStats);
    expect(() => customArch({ source: '', cut: 'x' })).toThrow(/source/);
  });
});

describe('loadBody', () => {
  it('MobileNet v1 0.75 from a local folder: cut at conv_pw_13_relu, two groups, runs at another size', async () => {
    const body = await loadBody('mobilenet_v1_0.75', { pretrained: MOBILENET_DIR, inputSize: 128 });
    expect(body.model.outputs[0]!.shape).toEqual([null, 4, 4, 768]);
    expect(body.channels).toBe(768);
    expect(body.groups[1][0]!.name).toBe('conv_dw_7');
    expect(body.groups[0].length + body.groups[1].length).toBe(body.model.layers.filter((l) => l.weights.length).length);
    // The ImageNet weights really are loaded: conv1's kernel is not a fresh initialisation.
    const k = body.model.getLayer('conv1').getWeights()[0]!;
    expect(k.shape).toEqual([3, 3, 3, 24]);
    const x = tf.randomUniform([2, 128, 128, 3], -1, 1);
    const y = body.model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 4, 4, 768]);
    expect(tf.min(y).dataSync()[0]).toBeGreaterThanOrEqual(0); // after ReLU6
    tf.dispose([x, y]);
    body.model.dispose();
  });

  it('Darknet tiny: cut at leaky_re_lu_14 (512 channels)', async () => {
    const body = await loadBody('darknet_tiny', { pretrained: DARKNET_DIR, inputSize: 96 });
    expect(body.model.outputs[0]!.shape).toEqual([null, 6, 6, 512]); // stride 16 at this cut
    body.model.dispose();
  });

  it('any layers model by path + cut layer, also with random weights', async () => {
    const dir = await makeTinyModelFolder();
    const arch = customArch({ source: dir, cut: 'feat', normalize: unitStats, inputSize: 32 });
    const body = await loadBody(arch);
    expect(body.model.outputs[0]!.shape).toEqual([null, 8, 8, 16]);
    const random = await loadBody(arch, { pretrained: false });
    // The folder's BN running means are 0.1; a fresh initialisation has 0.
    expect(body.model.getLayer('bn1').getWeights()[2]!.dataSync()[0]).toBeCloseTo(0.1, 6);
    expect(random.model.getLayer('bn1').getWeights()[2]!.dataSync()[0]).toBe(0);
    body.model.dispose();
    random.model.dispose();
  });

  it('ResNet-18/34/50 built with the layers API have the torchvision parameter counts', async () => {
    // torchvision minus the fc layer: 11,689,512 - 513,000; 21,797,672 - 513,000; 25,557,032 - 2,049,000 (BN running stats excluded).
    const expected: Record<number, [number, number]> = { 18: [11_176_512, 512], 34: [21_284_672, 512], 50: [23_508_032, 2048] };
    for (const depth of [18, 34, 50] as const) {
      const m = resnetBody(depth, 64);
      expect(trainableParams(m)).toBe(expected[depth]![0]);
      expect(m.outputs[0]!.shape).toEqual([null, 2, 2, expected[depth]![1]]);
      m.dispose();
    }
    const body = await loadBody('resnet18', { pretrained: false, inputSize: 64 });
    expect(body.groups[1][0]!.name).toBe('stage3_0_1_conv');
    const x = tf.randomNormal([1, 64, 64, 3]);
    const y = body.model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 2, 512]);
    tf.dispose([x, y]);
    body.model.dispose();
  });
});
