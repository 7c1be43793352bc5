import * as tf from '@tensorflow/tfjs-core';

/** MobileNetV2 (Sandler et al. 2018) written with core ops, for training-step tests and benchmarks. */
export interface MobileNetV2Options {
  /** Width multiplier (1.0 = the paper's network). */
  alpha?: number;
  classes?: number;
  /** Seed for the He-normal initialisation. */
  seed?: number;
}

// [expansion t, output channels c, repeats n, first stride s] from the paper's Table 2.
const BLOCKS: Array<[number, number, number, number]> = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

function divisible(v: number, d = 8): number {
  const n = Math.max(d, Math.floor((v + d / 2) / d) * d);
  return n < 0.9 * v ? n + d : n;
}

interface BN { gamma: tf.Variable; beta: tf.Variable }
type Layer =
  | { kind: 'conv'; w: tf.Variable; stride: number; bn: BN; relu6: boolean }
  | { kind: 'dw'; w: tf.Variable; stride: number; bn: BN }
  | { kind: 'block'; layers: Layer[]; residual: boolean };

export class MobileNetV2 {
  readonly variables: tf.Variable[] = [];
  private readonly layers: Layer[] = [];
  private readonly dense: { w: tf.Variable; b: tf.Variable };
  /** Multiply-accumulates of one forward pass per 224x224 image, for GFLOP/s figures. */
  readonly macsPerImage224: number;
  private seed: number;
  private macs = 0;

  constructor(options: MobileNetV2Options = {}) {
    const alpha = options.alpha ?? 1;
    const classes = options.classes ?? 1000;
    this.seed = options.seed ?? 1;
    let size = 224;
    let cin = 3;
    const stem = divisible(32 * alpha);
    this.layers.push(this.conv(3, cin, stem, 2, true, size));
    size /= 2;
    cin = stem;
    for (const [t, c, n, s] of BLOCKS) {
      const cout = divisible(c * alpha);
      for (let i = 0; i < n; i++) {
        const stride = i === 0 ? s : 1;
        const hidden = cin * t;
        const layers: Layer[] = [];
        if (t !== 1) layers.push(this.conv(1, cin, hidden, 1, true, size));
        layers.push(this.depthwise(hidden, stride, size));
        size /= stride;
        layers.push(this.conv(1, hidden, cout, 1, false, size));
        this.layers.push({ kind: 'block', layers, residual: stride === 1 && cin === cout });
        cin = cout;
      }
    }
    const last = alpha > 1 ? divisible(1280 * alpha) : 1280;
    this.layers.push(this.conv(1, cin, last, 1, true, size));
    this.dense = { w: this.variable([last, classes], Math.sqrt(1 / last)), b: this.variable([classes], 0) };
    this.macs += last * classes;
    this.macsPerImage224 = this.macs;
  }

  private variable(shape: number[], std: number): tf.Variable {
    const init = std === 0 ? tf.zeros(shape) : tf.randomNormal(shape, 0, std, 'float32', this.seed++);
    const v = tf.variable(init, true, `mnv2_${this.variables.length}`);
    init.dispose();
    this.variables.push(v);
    return v;
  }

  private bn(c: number): BN {
    const gamma = tf.variable(tf.ones([c]), true, `mnv2_${this.variables.length}`);
    this.variables.push(gamma);
    return { gamma, beta: this.variable([c], 0) };
  }

  private conv(k: number, cin: number, cout: number, stride: number, relu6: boolean, size: number): Layer {
    const out = size / stride;
    this.macs += out * out * k * k * cin * cout;
    return { kind: 'conv', w: this.variable([k, k, cin, cout], Math.sqrt(2 / (k * k * cin))), stride, bn: this.bn(cout), relu6 };
  }

  private depthwise(c: number, stride: number, size: number): Layer {
    const out = size / stride;
    this.macs += out * out * 9 * c;
    return { kind: 'dw', w: this.variable([3, 3, c, 1], Math.sqrt(2 / 9)), stride, bn: this.bn(c) };
  }

  /** Training-mode forward pass: batch statistics in every batch norm; returns logits. */
  apply(x: tf.Tensor4D): tf.Tensor2D {
    let h: tf.Tensor4D = x;
    for (const layer of this.layers) h = this.run(layer, h);
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, this.dense.w), this.dense.b);
  }

  private run(layer: Layer, x: tf.Tensor4D): tf.Tensor4D {
    if (layer.kind === 'block') {
      let h = x;
      for (const l of layer.layers) h = this.run(l, h);
      return layer.residual ? tf.add(h, x) : h;
    }
    const y: tf.Tensor4D = layer.kind === 'conv'
      ? tf.conv2d(x, layer.w as tf.Tensor4D, layer.stride, 'same')
      : tf.depthwiseConv2d(x, layer.w as tf.Tensor4D, layer.stride, 'same');
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    const n = tf.batchNorm(y, mean, variance, layer.bn.beta, layer.bn.gamma, 1e-3) as tf.Tensor4D;
    return layer.kind === 'dw' || layer.relu6 ? tf.relu6(n) : n;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * One training step: forward, backward and one optimizer update over the whole batch. With
 * `microBatch` smaller than the batch, gradients are accumulated over micro-batches (batch-norm
 * statistics per micro-batch, like ghost batch norm): tfjs keeps every forward intermediate and
 * every activation gradient alive until backprop ends (about 0.5 GB per 224x224 image for
 * MobileNetV2), and a wasm32 heap stops at 4 GB. Returns the mean loss.
 */
export function trainStep(model: MobileNetV2, optimizer: tf.Optimizer, x: tf.Tensor4D, labels: tf.Tensor2D, microBatch = x.shape[0]): number {
  const n = x.shape[0];
  const sums = new Map<string, tf.Tensor>();
  let loss = 0;
  for (let start = 0; start < n; start += microBatch) {
    const size = Math.min(microBatch, n - start);
    const { value, grads } = tf.tidy(() => {
      const xb = size === n ? x : tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const yb = size === n ? labels : tf.slice(labels, [start, 0], [size, -1]);
      return tf.variableGrads(() => tf.losses.softmaxCrossEntropy(yb, model.apply(xb)) as tf.Scalar, model.variables);
    });
    loss += value.dataSync()[0]! * (size / n);
    for (const [name, g] of Object.entries(grads)) {
      const prev = sums.get(name);
      sums.set(name, size === n ? g : tf.tidy(() => (prev ? tf.add(prev, tf.mul(g, size / n)) : tf.mul(g, size / n))));
      if (size !== n) g.dispose();
      if (prev) prev.dispose();
    }
    value.dispose();
  }
  optimizer.applyGradients(Object.fromEntries(sums));
  for (const g of sums.values()) g.dispose();
  return loss;
}
