import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createHead, StepDropout } from './head.js';
import { wasm } from './test-support/fixtures.js';

beforeAll(async () => {
  await wasm();
});

const masks = (layer: tfl.layers.Layer, n: number): string[] => {
  const x = tf.ones([4, 64]);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    out.push(Array.from(y.dataSync(), (v) => (v === 0 ? '0' : '1')).join(''));
    y.dispose();
  }
  x.dispose();
  return out;
};

describe('StepDropout', () => {
  it('draws a new mask every step (tfjs Dropout with a seed repeats one), reproducibly per seed', () => {
    // The bug it replaces: a seeded tfjs-layers Dropout drops the same units at every call.
    const stock = masks(tfl.layers.dropout({ rate: 0.5, seed: 7 }), 3);
    expect(new Set(stock).size).toBe(1);
    const a = masks(new StepDropout({ rate: 0.5, seed: 7 }), 3);
    expect(new Set(a).size).toBe(3);
    expect(masks(new StepDropout({ rate: 0.5, seed: 7 }), 3)).toEqual(a);
    const kept = a[0]!.split('').filter((c) => c === '1').length / a[0]!.length;
    expect(kept).toBeGreaterThan(0.35);
    expect(kept).toBeLessThan(0.65);
    // Kept units are scaled by 1 / (1 - rate); inference is the identity.
    const layer = new StepDropout({ rate: 0.5, seed: 1 });
    const x = tf.ones([2, 8]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    expect(new Set(y.dataSync())).toEqual(new Set([0, 2]));
    expect(Array.from((layer.apply(x, { training: false }) as tf.Tensor).dataSync())).toEqual(Array(16).fill(1));
    tf.dispose([x, y]);
    expect(() => new StepDropout({ rate: 1 })).toThrow(/dropout rate must be in \[0, 1\)/);
  });

  it('serializes as a plain Dropout without the seed, so a saved head loads without this class', async () => {
    const head = createHead(6, 3, { seed: 5 });
    let topology: unknown;
    await head.save(tf.io.withSaveHandler(async (a) => {
      topology = a.modelTopology;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const layers = (topology as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }).config.layers;
    const drops = layers.filter((l) => l.class_name === 'Dropout');
    expect(drops.map((l) => l.config.rate)).toEqual([0.25, 0.5]);
    expect(drops.every((l) => !('seed' in l.config))).toBe(true);
    const loaded = await tfl.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] } as never);
    expect(loaded.layers.filter((l) => l.getClassName() === 'Dropout').length).toBe(2);
    loaded.dispose();
    head.dispose();
  });
});
