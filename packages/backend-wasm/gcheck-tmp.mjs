import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@bears/backend';
import { registerTrainingKernels } from './dist/kernels/index.js';
import { setNativeKernelsEnabled } from './dist/kernels/wasm/native.js';
import { useBackend } from '@bears/backend';
import './dist/index.js';
import { MobileNetV2 } from './dist/bench/mobilenet-v2.js';
registerTrainingKernels();
await useBackend('wasm', { env: null });
async function grads(backend) {
  await tf.setBackend(backend);
  const model = new MobileNetV2({ classes: 5, seed: 3 });
  const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 11);
  const y = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)), model.variables);
  const out = { loss: value.dataSync()[0], g: model.variables.map((v) => grads[v.name].dataSync().slice()), shapes: model.variables.map(v => v.shape) };
  model.dispose();
  return out;
}
function cmp(w, c, label) {
  const rows = [];
  for (let i = 0; i < w.g.length; i++) { let d = 0, s = 0; for (let k = 0; k < w.g[i].length; k++) { d = Math.max(d, Math.abs(w.g[i][k] - c.g[i][k])); s = Math.max(s, Math.abs(c.g[i][k])); } rows.push([d / Math.max(s, 1e-6), i, d, s]); }
  rows.sort((a, b) => b[0] - a[0]);
  console.log(label, 'loss', w.loss, c.loss, rows.slice(0, 4).map(([r, i, d, s]) => `#${i} [${c.shapes[i]}] rel ${r.toExponential(2)} (diff ${d.toExponential(2)}, max ${s.toExponential(2)})`).join('; '));
}
const w = await grads('wasm');
setNativeKernelsEnabled(false);
const w0 = await grads('wasm');
setNativeKernelsEnabled(true);
const c = await grads('cpu');
cmp(w, c, 'native vs cpu:');
cmp(w0, c, 'tfjs-only vs cpu:');
cmp(w, w0, 'native vs tfjs-only:');
