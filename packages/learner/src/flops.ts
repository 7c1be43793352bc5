import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Forward FLOPs of one image through a layers model, counting conv, depthwise conv and dense layers
 * (2 per multiply-add; batch norm, activations and pooling are left out, as usual for CNN FLOP counts).
 */
export function forwardFlops(model: tfl.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const out = layer.outputShape as number[];
    const kernel = layer.weights.find((w) => /kernel/.test(w.originalName));
    if (!kernel) continue;
    const k = kernel.shape;
    if (cls === 'Conv2D') total += 2 * out[1]! * out[2]! * k[0]! * k[1]! * k[2]! * k[3]!;
    else if (cls === 'DepthwiseConv2D') total += 2 * out[1]! * out[2]! * k[0]! * k[1]! * k[2]! * k[3]!;
    else if (cls === 'Dense') total += 2 * k[0]! * k[1]!;
  }
  return total;
}
