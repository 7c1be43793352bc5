// In-browser training: the same @bears/data + @bears/learner code that `bears train` runs in Node,
// on images held in memory: frozen MobileNet body, new head, one-cycle.
import type { ActiveBackend } from '@bears/backend';
import { ImageDataset } from '@bears/data';
import { cnnLearner, exportToFiles, type Learner } from '@bears/learner';
import type { PredictResult, TrainItem, TrainOptions, TrainProgress, TrainResult } from './protocol.js';

let learner: Learner | undefined;

/** Every k-th photo of each class (k from the validation share) is held out, so every class is validated. */
function validIds(items: { id: string; label: string }[], validPct: number): string[] {
  const every = Math.max(2, Math.round(1 / validPct));
  const seen = new Map<string, number>();
  const ids: string[] = [];
  for (const it of items) {
    const n = seen.get(it.label) ?? 0;
    seen.set(it.label, n + 1);
    if (n % every === every - 1) ids.push(it.id);
  }
  return ids;
}

export async function trainHead(backend: ActiveBackend, items: TrainItem[], options: TrainOptions, progress: (p: TrainProgress) => void): Promise<TrainResult> {
  const t0 = performance.now();
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it.label, (counts.get(it.label) ?? 0) + 1);
  if (counts.size < 2) throw new Error('give at least two classes some photos');
  for (const [label, n] of counts) if (n < 2) throw new Error(`class '${label}' needs at least 2 photos (one to train on, one to check with), it has ${n}`);

  learner?.dispose();
  learner = undefined;
  const memory = items.map((it, i) => ({ id: `${it.label}/${String(i).padStart(4, '0')}-${it.name}`, label: it.label, bytes: it.bytes }));
  const data = ImageDataset.fromItems(memory, { valid: validIds(memory, options.validPct), seed: options.seed, size: options.size, minClassSize: 2 });
  progress({ phase: 'loading the pretrained body', done: 0, total: 1 });
  // A handful of photos per class: small batches, so each epoch still takes several steps.
  const batchSize = Math.min(32, Math.max(4, Math.floor(data.train.length / 4)));
  const l = await cnnLearner(data, { backend, arch: 'mobilenet_v1_0.75', pretrained: options.bodyUrl, batchSize, seed: options.seed, log: () => {} });
  learner = l;
  progress({ phase: 'computing body features', done: 0, total: 1 });
  let perEpoch = 1; // batch events carry the batch count; epoch-end events do not
  await l.fitOneCycle(options.epochs, options.lr, {
    callbacks: [
      {
        name: 'web-progress',
        onBatchEnd: (e) => {
          perEpoch = e.batches ?? perEpoch;
          progress({ phase: 'training the head', done: e.epoch * perEpoch + (e.batch ?? 0) + 1, total: e.epochs * perEpoch, trainLoss: e.loss, epoch: e.epoch });
        },
        onEpochEnd: (e) => progress({ phase: 'training the head', done: (e.epoch + 1) * perEpoch, total: e.epochs * perEpoch, validLoss: e.record?.validLoss, epoch: e.epoch }),
      },
    ],
  });
  const preds = await l.getPreds({ split: 'valid' });
  const k = preds.classes.length;
  const confusion = preds.classes.map(() => new Array<number>(k).fill(0));
  let right = 0;
  for (let i = 0; i < preds.targets.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (preds.probs[i * k + j]! > preds.probs[i * k + best]!) best = j;
    confusion[preds.targets[i]!]![best]!++;
    if (best === preds.targets[i]) right++;
  }
  return { classes: preds.classes, accuracy: preds.targets.length ? right / preds.targets.length : NaN, confusion, nValid: preds.targets.length, nTrain: data.train.length, ms: performance.now() - t0 };
}

export async function predictTrained(bytes: Uint8Array): Promise<Omit<PredictResult, 'ms'>> {
  if (!learner) throw new Error('train a model first');
  const p = await learner.predict(bytes);
  return { ...p, classes: learner.classes };
}

export async function exportTrained(): Promise<Record<string, Uint8Array>> {
  if (!learner) throw new Error('train a model first');
  return exportToFiles(learner);
}
