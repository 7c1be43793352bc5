import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Gradient masks that hold still the channels of a pretrained body whose batch norm has an almost zero
 * running variance. With batch norm on its running statistics (the learner's `bodyBn: 'frozen'`), such a
 * channel divides whatever moves its input by sqrt(variance + epsilon): Adam moves every weight by about the
 * learning rate whatever its gradient, and those channels swing by several standard deviations in a few steps
 * (MobileNet v1 0.75 has 43 channels below 1e-4, mostly in conv1 and conv_dw_1). The conv kernel slice that
 * feeds such a channel and the channel's gamma/beta get a zero gradient, so Adam leaves them where they are.
 * Returns variable name -> 0/1 mask broadcastable to the variable's shape; an empty map if no channel qualifies.
 */
export function quietChannelMasks(model: tfl.LayersModel, threshold: number): Map<string, tf.Tensor> {
  const masks = new Map<string, tf.Tensor>();
  if (!(threshold > 0)) return masks;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const variance = layer.weights.find((w) => /moving_variance$/.test(w.originalName));
    if (!variance) continue;
    const v = variance.read().dataSync();
    if (!v.some((x) => x < threshold)) continue;
    const keep = Float32Array.from(v, (x) => (x < threshold ? 0 : 1));
    for (const w of layer.weights.filter((w) => /(gamma|beta)$/.test(w.originalName))) masks.set((w.read() as tf.Variable).name, tf.tensor1d(keep));
    const feeding = layer.inboundNodes[0]?.inboundLayers[0];
    const kernel = feeding?.weights.find((w) => /(depthwise_)?kernel$/.test(w.originalName));
    if (!feeding || !kernel || kernel.shape.length !== 4) continue;
    const cls = feeding.getClassName();
    // Conv2D kernels are [kh, kw, in, out]; a depthwise kernel (multiplier 1) is [kh, kw, channels, 1].
    if (cls === 'Conv2D' && kernel.shape[3] === keep.length) masks.set((kernel.read() as tf.Variable).name, tf.tensor4d(keep, [1, 1, 1, keep.length]));
    else if (cls === 'DepthwiseConv2D' && kernel.shape[2] === keep.length && kernel.shape[3] === 1) masks.set((kernel.read() as tf.Variable).name, tf.tensor4d(keep, [1, 1, keep.length, 1]));
  }
  return masks;
}

/** Multiplies the gradients named in `masks` by their mask, in place (disposing the unmasked tensors). */
export function maskGradients(grads: tf.NamedTensorMap, masks: Map<string, tf.Tensor>): void {
  if (masks.size === 0) return;
  for (const [name, g] of Object.entries(grads)) {
    const m = masks.get(name);
    if (!m || !g) continue;
    grads[name] = tf.mul(g, m);
    g.dispose();
  }
}

/**
 * Snapshots the masked variables and returns a function that puts their masked-out entries back (decoupled
 * weight decay shrinks every weight, whatever its gradient). Call it right after the optimizer step.
 */
export function holdStill(masks: Map<string, tf.Tensor>, variables: readonly tf.Variable[]): () => void {
  const held = variables.filter((v) => masks.has(v.name)).map((v) => [v, tf.clone(v)] as const);
  return () => {
    for (const [v, old] of held) {
      tf.tidy(() => {
        const m = masks.get(v.name)!;
        v.assign(tf.add(tf.mul(v, m), tf.mul(old, tf.sub(1, m))));
      });
      old.dispose();
    }
  };
}

/** Number of channels held still (each BN layer counted once). */
export function quietChannelCount(model: tfl.LayersModel, threshold: number): number {
  let n = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const variance = layer.weights.find((w) => /moving_variance$/.test(w.originalName));
    if (variance) n += Array.from(variance.read().dataSync()).filter((x) => x < threshold).length;
  }
  return n;
}
