import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from './dist/kernels/index.js';
import { nativeKernels, heapOffset } from './dist/kernels/wasm/native.js';
registerTrainingKernels();
await tf.setBackend('wasm'); await tf.ready();
const K = 12544, N = 144;
const dy = tf.randomNormal([1, K, N]); const o = tf.randomNormal([1, K, N]); const v = tf.randomNormal([N]);
const be = tf.backend(); const nat = nativeKernels(be);
const a = heapOffset(be, dy.dataId), b = heapOffset(be, v.dataId), c = heapOffset(be, o.dataId);
let t0 = performance.now(); for (let i = 0; i < 20; i++) nat.binary.add(a, b, c, K, N); let ms = (performance.now() - t0) / 20; console.log('raw add vec', ms.toFixed(2), (K*N*8/ms/1e6).toFixed(2), 'GB/s');
t0 = performance.now(); for (let i = 0; i < 20; i++) nat.transpose(a, c, 1, K, N, 0, 0, N, K); ms = (performance.now() - t0) / 20; console.log('raw transpose', ms.toFixed(2), (K*N*8/ms/1e6).toFixed(2), 'GB/s');
t0 = performance.now(); for (let i = 0; i < 20; i++) { const out = be.makeOutput([1, K, N], 'float32'); be.disposeData(out.dataId); } ms = (performance.now() - t0) / 20; console.log('makeOutput+dispose', ms.toFixed(3));
t0 = performance.now(); for (let i = 0; i < 20; i++) { const out = be.makeOutput([1, K, N], 'float32'); nat.binary.add(a, b, heapOffset(be, out.dataId), K, N); be.disposeData(out.dataId); } ms = (performance.now() - t0) / 20; console.log('makeOutput+add+dispose', ms.toFixed(3));
for (let rep = 0; rep < 2; rep++) {
t0 = performance.now(); for (let i = 0; i < 20; i++) { tf.add(dy, v).dispose(); } ms = (performance.now() - t0) / 20; console.log('tf.add', ms.toFixed(3));
t0 = performance.now(); for (let i = 0; i < 20; i++) { const r = tf.engine().runKernel('Add', { a: dy, b: v }); r.dispose(); } ms = (performance.now() - t0) / 20; console.log('runKernel Add', ms.toFixed(3));
t0 = performance.now(); for (let i = 0; i < 20; i++) { const r = tf.getKernel('Add', 'wasm').kernelFunc({ inputs: { a: dy, b: v }, backend: be, attrs: {} }); be.disposeData(r.dataId); } ms = (performance.now() - t0) / 20; console.log('kernelFunc Add', ms.toFixed(3));
}
