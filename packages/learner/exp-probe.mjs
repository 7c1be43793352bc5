import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { ImageDataset } from '@bears/data';
import { cnnLearner } from '@bears/learner';
await useBackend('wasm', { env: null });
const ds = await ImageDataset.fromFolder('/work/shared/data/bears', { validPct: 0.2, seed: 42, size: 224 });
for (const [bs, lr] of JSON.parse(process.argv[2])) {
  const t = Date.now();
  const learn = await cnnLearner(ds, { pretrained: '/work/shared/models/mobilenet_v1_0.75_224', batchSize: bs, log: () => {} });
  const res = await learn.fitOneCycle(4, lr);
  console.log(`bs ${bs} lr ${lr}: ${res.epochs.map((e) => e.metrics.error_rate.toFixed(3)).join(' ')} valid_loss ${res.epochs.at(-1).validLoss.toFixed(3)} ${((Date.now() - t) / 1000).toFixed(0)} s`);
  learn.dispose();
}
