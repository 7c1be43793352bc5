import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { inferenceForward } from '@bears/learner';

/**
 * Grad-CAM (Selvaraju et al.): the last conv layer's activations A, weighted per channel by the
 * mean gradient of the class's logit w.r.t. A, summed over channels, ReLU, scaled to 0..1.
 * The layers after `convLayer` are replayed eagerly so the gradient flows from the logit.
 */
export class GradCam {
  private readonly toConv: tfl.LayersModel;
  private readonly after: tfl.layers.Layer[];
  private readonly logitLayer: string;

  constructor(private readonly model: tfl.LayersModel, readonly convLayer: string, toConv: tfl.LayersModel) {
    this.toConv = toConv;
    const idx = model.layers.findIndex((l) => l.name === convLayer);
    if (idx < 0) throw new Error(`Grad-CAM: no layer '${convLayer}'`);
    const last = model.layers[model.layers.length - 1]!;
    // The logit is the input of the final softmax (a Softmax layer or a dense with softmax activation).
    const isSoftmaxLayer = last.getClassName() === 'Softmax' || (last.getClassName() === 'Activation' && (last.getConfig() as { activation?: string }).activation === 'softmax');
    this.logitLayer = isSoftmaxLayer ? inbound(last)[0]! : last.name;
    this.after = model.layers.slice(idx + 1);
  }

  private logits(a: tf.Tensor): tf.Tensor2D {
    const vals = new Map<string, tf.Tensor>([[this.convLayer, a]]);
    for (const layer of this.after) {
      const ins = inbound(layer);
      if (!ins.length || !ins.every((n) => vals.has(n))) continue;
      const x = ins.map((n) => vals.get(n)!);
      let y = layer.apply(x.length === 1 ? x[0]! : x, { training: false }) as tf.Tensor;
      // A dense layer with a softmax activation: take its pre-activation as the logit.
      if (layer.name === this.logitLayer && layer.name === this.model.layers[this.model.layers.length - 1]!.name) y = tf.log(tf.add(y, 1e-7));
      vals.set(layer.name, y);
      if (layer.name === this.logitLayer) return y as tf.Tensor2D;
    }
    throw new Error(`Grad-CAM: could not reach the logits '${this.logitLayer}' from '${this.convLayer}'`);
  }

  /** Heat map [h, w] (0..1) for one prepared input [size*size*3] and a class index. */
  heatmap(input: Float32Array, size: number, classIndex: number): { heat: Float32Array; h: number; w: number } {
    return tf.tidy(() => {
      const a = inferenceForward(this.toConv, tf.tensor4d(input, [1, size, size, 3])) as tf.Tensor4D;
      const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.slice(this.logits(x), [0, classIndex], [1, 1])))(a) as tf.Tensor4D;
      const weights = tf.mean(grad, [1, 2], true);
      const cam = tf.squeeze(tf.relu(tf.sum(tf.mul(a, weights), -1)), [0]) as tf.Tensor2D;
      const max = tf.max(cam);
      const norm = tf.div(cam, tf.maximum(max, 1e-12));
      const [h, w] = norm.shape;
      return { heat: (norm.dataSync() as Float32Array).slice(), h, w };
    });
  }
}

function inbound(layer: tfl.layers.Layer): string[] {
  const node = (layer as unknown as { inboundNodes: Array<{ inboundLayers: tfl.layers.Layer[] }> }).inboundNodes[0];
  return node ? node.inboundLayers.map((l) => l.name) : [];
}
