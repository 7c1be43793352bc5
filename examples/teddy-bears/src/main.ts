// The lesson's recipe: a pretrained body, train the head (frozen), unfreeze, fine-tune with
// discriminative learning rates, then export and predict. Usage: node dist/main.js <bears folder> [out dir]
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { ImageDataset, formatSummary } from '@bears/data/node';
import { cnnLearner, errorRate, loadLearner, LearnerError, progressCallback } from '@bears/learner/node';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

async function main(): Promise<void> {
  const dataDir = process.argv[2] ?? '../../../shared/data/bears';
  const outDir = path.resolve(process.argv[3] ?? 'out');
  const backend = await useBackend();
  console.log(`backend: ${backend.name} (${backend.capabilities.details ?? backend.capabilities.accelerator})`);

  const t0 = performance.now();
  const dls = await ImageDataset.fromFolder(dataDir, { validPct: 0.2, seed: 42, size: 224 });
  console.log(formatSummary(dls.summary()));

  // Pretrained weights: BEARS_WEIGHTS, else the copy in ../shared/models beside the data, else the arch's public URL.
  const local = path.resolve(dataDir, '../../models/mobilenet_v1_0.75_224');
  const pretrained = process.env.BEARS_WEIGHTS ?? (await access(path.join(local, 'model.json')).then(() => local, () => true as const));
  const learn = await cnnLearner(dls, { backend, arch: 'mobilenet_v1_0.75', pretrained, metrics: [errorRate], modelDir: path.join(outDir, 'models'), callbacks: [progressCallback()] });
  console.log('\nlearn.fitOneCycle(4)  (body frozen: head trained on cached activations)');
  await learn.fitOneCycle(4);
  const frozenSec = (performance.now() - t0) / 1000;
  console.log(`frozen phase done in ${frozenSec.toFixed(0)} s (incl. loading and feature extraction)`);
  await learn.save('stage-1');

  console.log('\nlearn.unfreeze(); learn.fitOneCycle(2, [1e-6, 1e-4])');
  learn.unfreeze();
  const t1 = performance.now();
  await learn.fitOneCycle(2, [1e-6, 1e-4], { checkpoint: 'stage-2', resume: 'stage-2' });
  console.log(`unfrozen phase done in ${((performance.now() - t1) / 1000).toFixed(0)} s`);

  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'losses.png'), await learn.recorder.plotLosses());
  await writeFile(path.join(outDir, 'lr.png'), await learn.recorder.plotLr());
  const modelPath = await learn.export(path.join(outDir, 'model'));
  console.log(`\nexported to ${modelPath} (plots: losses.png, lr.png)`);

  const clf = await loadLearner(modelPath, { backend });
  // One validation photo of each class (the list is sorted by class, so the first three would all be black bears).
  const sample = dls.classes.map((_, c) => dls.valid.find((item) => item.label === c)).filter((item) => item !== undefined);
  for (const item of sample) {
    const p = await clf.predict(item.file);
    console.log(`${path.basename(item.file)}: ${p.label} (${(p.probabilities[p.index]! * 100).toFixed(1)}%), labelled ${dls.classes[item.label]}`);
  }
  clf.dispose();
  learn.dispose();
}

main().catch((err) => {
  console.error(err instanceof LearnerError ? `error: ${err.message}` : err);
  process.exit(1);
});
