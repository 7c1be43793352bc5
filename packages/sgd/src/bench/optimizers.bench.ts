// How long one optimizer step takes over a MobileNet-sized set of variables (2.2M parameters in 56
// tensors of mixed shapes), for this package's SGD, Adam and AdamW and for tfjs's own tf.train.adam
// as the reference, all on the same backend in the same run. The learner calls applyGradients once per
// batch, so this must stay small next to a forward/backward pass.
import * as tf from '@tensorflow/tfjs-core';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { Adam, AdamW, SGD } from '../optimizers.js';

const STEPS = Number(process.env.BEARS_BENCH_STEPS ?? 30);
const WARMUP = 3;

function makeVars(): tf.Variable[] {
  const shapes: number[][] = [];
  // depthwise/pointwise pairs like MobileNet v1 0.75, plus batch-norm vectors and a head
  const widths = [24, 48, 96, 96, 192, 192, 384, 384, 384, 384, 384, 384, 768, 768];
  for (let i = 0; i < widths.length - 1; i++) {
    shapes.push([3, 3, widths[i]!, 1], [1, 1, widths[i]!, widths[i + 1]!], [widths[i + 1]!], [widths[i + 1]!]);
  }
  shapes.push([768, 512], [512], [512, 3], [3]);
  let seed = 1;
  return shapes.map((s) => tf.tidy(() => tf.variable(tf.randomNormal(s, 0, 0.05, 'float32', seed++))));
}

async function time(vars: tf.Variable[], step: () => void): Promise<number> {
  for (let i = 0; i < WARMUP; i++) step();
  await vars[0]!.data();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  await Promise.all(vars.map((v) => v.data()));
  return (performance.now() - t0) / STEPS;
}

async function main(): Promise<void> {
  const backend = await useBackend(undefined, {});
  const vars = makeVars();
  const params = vars.reduce((a, v) => a + v.size, 0);
  const grads = new Map<tf.Variable, tf.Tensor>(vars.map((v, i) => [v, tf.randomNormal(v.shape, 0, 0.01, 'float32', 1000 + i)]));
  const named: tf.NamedTensorMap = Object.fromEntries(vars.map((v) => [v.name, grads.get(v)!]));
  const rows: Array<[string, number]> = [];
  const before = tf.memory().numTensors;

  const ours = [
    ['SGD (momentum 0.9, wd 1e-2)', new SGD(vars, { lr: 1e-3, wd: 1e-2 })],
    ['Adam', new Adam(vars, { lr: 1e-3 })],
    ['AdamW (wd 1e-2)', new AdamW(vars, { lr: 1e-3 })],
  ] as const;
  for (const [label, opt] of ours) {
    rows.push([label, await time(vars, () => opt.applyGradients(grads))]);
  }
  const tfAdam = tf.train.adam(1e-3, 0.9, 0.99, 1e-5);
  rows.push(['tf.train.adam (reference)', await time(vars, () => tfAdam.applyGradients(named as unknown as Parameters<typeof tfAdam.applyGradients>[0]))]);
  for (const [, opt] of ours) opt.dispose();
  tfAdam.dispose();
  const leaked = tf.memory().numTensors - before;

  const ms = Object.fromEntries(rows.map(([k, v]) => [k, v]));
  console.log(`optimizer step over ${vars.length} variables, ${(params / 1e6).toFixed(2)}M parameters, backend ${backend.name}, ${STEPS} steps`);
  console.log('');
  console.log('optimizer                        ms/step');
  for (const [k, v] of rows) console.log(`${k.padEnd(32)} ${v.toFixed(2).padStart(8)}`);
  const ref = ms['tf.train.adam (reference)']!;
  const adamw = ms['AdamW (wd 1e-2)']!;
  const adam = ms['Adam']!;
  console.log('');
  console.log(`AdamW / tf.train.adam: ${(adamw / ref).toFixed(2)}x   Adam / tf.train.adam: ${(adam / ref).toFixed(2)}x`);
  console.log(
    JSON.stringify({
      backend: backend.name,
      params,
      variables: vars.length,
      steps: STEPS,
      sgd_ms: round(ms['SGD (momentum 0.9, wd 1e-2)']!),
      adam_ms: round(adam),
      adamw_ms: round(adamw),
      tfjs_adam_ms: round(ref),
      adamw_vs_tfjs_adam_ratio: round(adamw / ref),
      adam_vs_tfjs_adam_ratio: round(adam / ref),
      leaked_tensors: leaked,
    }),
  );
  tf.dispose([...vars, ...grads.values()]);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
