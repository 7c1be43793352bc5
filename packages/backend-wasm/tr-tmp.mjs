import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from './dist/kernels/index.js';
import { nativeKernels, heapOffset } from './dist/kernels/wasm/native.js';
registerTrainingKernels();
await tf.setBackend('wasm'); await tf.ready();
const be = tf.backend(); const nat = nativeKernels(be);
let out = [];
for (const [R, C] of [[12544, 144], [144, 12544], [50176, 16], [16, 50176], [50176, 96]]) {
  const x = tf.randomNormal([R * C]); const o = tf.randomNormal([R * C]);
  const a = heapOffset(be, x.dataId), c = heapOffset(be, o.dataId);
  nat.transpose(a, c, 1, R, C, 0, 0, C, R);
  let t0 = performance.now(); for (let i = 0; i < 10; i++) nat.transpose(a, c, 1, R, C, 0, 0, C, R); let ms = (performance.now() - t0) / 10;
  out.push(`${R}x${C} ${ms.toFixed(2)}`);
}
console.log(out.join(' | '));
