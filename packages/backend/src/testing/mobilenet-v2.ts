// MobileNetV2 (Sandler et al. 2018) built with tfjs-layers, for timing: same layer shapes and
// FLOPs as keras.applications.MobileNetV2, random weights. Shared by the backend benchmarks so
// browser and Node figures are comparable.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface MobileNetV2Options {
  inputSize?: number;
  alpha?: number;
  classes?: number;
}

function divisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return n < 0.9 * v ? n + divisor : n;
}

function convBn(x: tfl.SymbolicTensor, filters: number, kernel: number, strides: number, relu: boolean): tfl.SymbolicTensor {
  let y = tfl.layers.conv2d({ filters, kernelSize: kernel, strides, padding: 'same', useBias: false }).apply(x) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ momentum: 0.999, epsilon: 1e-3 }).apply(y) as tfl.SymbolicTensor;
  return relu ? (tfl.layers.reLU({ maxValue: 6 }).apply(y) as tfl.SymbolicTensor) : y;
}

function invertedResidual(x: tfl.SymbolicTensor, inC: number, outC: number, stride: number, expansion: number): tfl.SymbolicTensor {
  let y = expansion === 1 ? x : convBn(x, inC * expansion, 1, 1, true);
  y = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ momentum: 0.999, epsilon: 1e-3 }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.reLU({ maxValue: 6 }).apply(y) as tfl.SymbolicTensor;
  y = convBn(y, outC, 1, 1, false);
  return stride === 1 && inC === outC ? (tfl.layers.add().apply([x, y]) as tfl.SymbolicTensor) : y;
}

/** (expansion t, channels c, repeats n, stride s) from the paper's Table 2. */
const BLOCKS: Array<[number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export function mobileNetV2({ inputSize = 224, alpha = 1, classes = 1000 }: MobileNetV2Options = {}): tfl.LayersModel {
  const input = tfl.input({ shape: [inputSize, inputSize, 3] });
  let c = divisible(32 * alpha);
  let x = convBn(input, c, 3, 2, true);
  for (const [t, ch, n, s] of BLOCKS) {
    const out = divisible(ch * alpha);
    for (let i = 0; i < n; i++) {
      x = invertedResidual(x, c, out, i === 0 ? s : 1, t);
      c = out;
    }
  }
  x = convBn(x, alpha > 1 ? divisible(1280 * alpha) : 1280, 1, 1, true);
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'mobilenet_v2' });
}

export interface BenchConfig {
  inputSize: number;
  forwardBatch: number;
  trainBatch: number;
  warmup: number;
  runs: number;
}

export interface BenchTimes {
  /** Median milliseconds of one inference forward pass (batch `forwardBatch`). */
  forwardMs: number;
  /** Median milliseconds of one SGD training step (forward + backward + update, batch `trainBatch`). */
  trainMs: number;
  params: number;
  numTensorsGrowth: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Times forward and training steps of MobileNetV2 on the current tfjs backend (reads results back, so GPU work is finished). */
export async function timeMobileNetV2(config: BenchConfig, now: () => number = () => performance.now()): Promise<BenchTimes> {
  const model = mobileNetV2({ inputSize: config.inputSize });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const xf = tf.randomUniform([config.forwardBatch, config.inputSize, config.inputSize, 3], -1, 1, 'float32', 1);
  const xt = tf.randomUniform([config.trainBatch, config.inputSize, config.inputSize, 3], -1, 1, 'float32', 2);
  const yt = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: config.trainBatch }, (_, i) => (i * 37) % 1000), 'int32'), 1000));
  const before = tf.memory().numTensors;
  const forward = async () => {
    const y = model.predict(xf) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  const train = async () => {
    await model.trainOnBatch(xt, yt);
  };
  const timeIt = async (fn: () => Promise<void>) => {
    for (let i = 0; i < config.warmup; i++) await fn();
    const times: number[] = [];
    for (let i = 0; i < config.runs; i++) {
      const t0 = now();
      await fn();
      times.push(now() - t0);
    }
    return median(times);
  };
  try {
    const forwardMs = await timeIt(forward);
    const trainMs = await timeIt(train);
    return { forwardMs, trainMs, params: model.countParams(), numTensorsGrowth: tf.memory().numTensors - before };
  } finally {
    tf.dispose([xf, xt, yt]);
    model.dispose();
  }
}
