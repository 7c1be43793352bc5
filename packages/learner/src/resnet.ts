import * as tfl from '@tensorflow/tfjs-layers';
import { LearnerError } from './errors.js';

export type ResNetDepth = 18 | 34 | 50;

const STAGES: Record<ResNetDepth, { blocks: number[]; bottleneck: boolean }> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
};

type SymT = tfl.SymbolicTensor;

function convBn(x: SymT, filters: number, kernel: number, stride: number, name: string, relu: boolean, zeroGamma = false): SymT {
  let y = tfl.layers
    .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: 'heNormal', name: `${name}_conv` })
    .apply(x) as SymT;
  // Zero-init of the last BN in each residual branch (fastai/torchvision option) makes deep nets start as identities.
  y = tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, gammaInitializer: zeroGamma ? 'zeros' : 'ones', name: `${name}_bn` }).apply(y) as SymT;
  if (relu) y = tfl.layers.reLU({ name: `${name}_relu` }).apply(y) as SymT;
  return y;
}

function block(x: SymT, width: number, stride: number, bottleneck: boolean, name: string, inChannels: number): { y: SymT; channels: number } {
  const out = bottleneck ? width * 4 : width;
  let branch: SymT;
  if (bottleneck) {
    branch = convBn(x, width, 1, 1, `${name}_1`, true);
    branch = convBn(branch, width, 3, stride, `${name}_2`, true);
    branch = convBn(branch, out, 1, 1, `${name}_3`, false, true);
  } else {
    branch = convBn(x, width, 3, stride, `${name}_1`, true);
    branch = convBn(branch, width, 3, 1, `${name}_2`, false, true);
  }
  const shortcut = stride !== 1 || inChannels !== out ? convBn(x, out, 1, stride, `${name}_down`, false) : x;
  const sum = tfl.layers.add({ name: `${name}_add` }).apply([branch, shortcut]) as SymT;
  return { y: tfl.layers.reLU({ name: `${name}_out` }).apply(sum) as SymT, channels: out };
}

/**
 * ResNet-18/34/50 body (torchvision layout: 7x7 stem, max pool, four stages) built with the layers API,
 * ending at the last stage's output (`stage4_out`, [h/32, w/32, 512 or 2048]). Randomly initialised:
 * train it from scratch or load weights from a Bears checkpoint.
 */
export function resnetBody(depth: ResNetDepth, inputSize = 224): tfl.LayersModel {
  const spec = STAGES[depth];
  if (!spec) throw new LearnerError(`ResNet depth ${depth} is not supported (use 18, 34 or 50)`);
  const input = tfl.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x = convBn(input, 64, 7, 2, 'stem', true);
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'stem_pool' }).apply(x) as SymT;
  let channels = 64;
  const widths = [64, 128, 256, 512];
  spec.blocks.forEach((n, s) => {
    for (let b = 0; b < n; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const r = block(x, widths[s]!, stride, spec.bottleneck, `stage${s + 1}_${b}`, channels);
      x = r.y;
      channels = r.channels;
    }
  });
  const out = tfl.layers.activation({ activation: 'linear', name: 'stage4_out' }).apply(x) as SymT;
  return tfl.model({ inputs: input, outputs: out, name: `resnet${depth}` });
}
