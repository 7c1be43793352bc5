import * as tf from '@tensorflow/tfjs-core';
import '@bears/backend';
import { registerTrainingKernels } from '/work/main/packages/backend-wasm/dist/kernels/index.js';
import { useBackend } from '@bears/backend';
import '/work/main/packages/backend-wasm/dist/index.js';
import { MobileNetV2, trainStep } from '/work/main/packages/backend-wasm/dist/bench/mobilenet-v2.js';
registerTrainingKernels();
await useBackend('wasm', { env: null });
const model = new MobileNetV2({ classes: 10, seed: 1 });
const opt = tf.train.momentum(0.01, 0.9);
const x = tf.randomNormal([4, 224, 224, 3]); const y = tf.oneHot(tf.tensor1d([0,1,2,3],'int32'), 10);
trainStep(model, opt, x, y, 4);
// wrap all kernels, all depths, keyed by name+shapes
const totals = new Map(); let depth = 0;
for (const config of tf.getKernelsForBackend('wasm')) {
  const inner = config.kernelFunc;
  const wrapped = (args) => {
    const key = `${'  '.repeat(depth)}${config.kernelName} ${Object.values(args.inputs).map(t => t && `${t.dtype[0]}[${t.shape}]`).join(' ')} ${args.attrs?.perm ? 'perm ' + args.attrs.perm : ''}`;
    depth++; const t0 = performance.now();
    try { return inner(args); } finally { depth--; const e = totals.get(key) ?? { ms: 0, n: 0 }; e.ms += performance.now() - t0; e.n++; totals.set(key, e); }
  };
  tf.unregisterKernel(config.kernelName, 'wasm'); tf.registerKernel({ ...config, kernelFunc: wrapped, setupFunc: undefined });
}
const filt = process.argv[2] ?? '';
trainStep(model, opt, x, y, 4);
const rows = [...totals.entries()].filter(([k]) => k.includes(filt)).sort((a, b) => b[1].ms - a[1].ms).slice(0, 40);
for (const [k, v] of rows) console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(5), k);
