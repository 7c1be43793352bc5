import * as tf from '@tensorflow/tfjs-core';
import { oneCycle } from '@bears/sgd';
import type { Callback, FitEvent } from './callbacks.js';
import { LossWatch } from './divergence.js';
import { LearnerError } from './errors.js';
import type { FitState } from './fit-state.js';
import type { FitOptions, FitResult } from './learner-options.js';
import { DEFAULT_LR, resolveLrs } from './learning-rates.js';
import { formatHeader, formatRow, type EpochRecord } from './recorder.js';
import type { TrainingHost } from './training-host.js';

/**
 * fastai's fit_one_cycle: AdamW with the one-cycle schedule (lr warm-up then cosine anneal, momentum
 * the other way). `lr` is one rate for every group or [lo, hi] spread over the three layer groups.
 */
export async function fitOneCycle(host: TrainingHost, epochs: number, lrArg?: number | [number, number], options: FitOptions = {}): Promise<FitResult> {
  if (!Number.isInteger(epochs) || epochs < 1) throw new LearnerError(`epochs must be a positive integer, got ${epochs}`);
  const lr = lrArg ?? DEFAULT_LR;
  // fastai's slice(lr) when no rate is given: the body groups at lr / 10.
  const lrs = lrArg === undefined ? [DEFAULT_LR / 10, DEFAULT_LR / 10, DEFAULT_LR] : resolveLrs(lr, 3);
  const batches = host.trainBatchCount();
  const totalSteps = epochs * batches;
  const schedule = oneCycle({ totalSteps, maxLr: lrs, pctStart: options.pctStart ?? 0.3, divFactor: 25, finalDivFactor: 1e4, moms: [0.95, 0.85, 0.95] });
  let startEpoch = 0;
  const fitKey = { kind: 'oneCycle' as const, epochs, lr, frozen: host.isFrozen };
  if (options.resume) {
    const st = await tryResume(host, options.resume, fitKey);
    if (st) {
      startEpoch = st.completedEpochs;
      host.log(`resuming from checkpoint '${options.resume}': ${startEpoch} of ${epochs} epochs already done`);
      if (startEpoch >= epochs) return { epochs: host.recorder.epochs.slice(-epochs) };
    }
  }
  const callbacks = [...(host.options.callbacks ?? []), ...(options.callbacks ?? [])];
  const opt = host.optimizerForTraining();
  const records: EpochRecord[] = [];
  let stopped: string | undefined;
  const base: FitEvent = { learner: host, epoch: startEpoch, epochs };
  if (host.usesFeatureCache()) await host.prepareFeatures();
  host.log(formatHeader(host.recorder.metricNames));
  if (await emit(callbacks, 'onFitBegin', base)) stopped = 'stopped by a callback';
  const watch = new LossWatch();
  for (let epoch = startEpoch; epoch < epochs && !stopped; epoch++) {
    const t0 = performance.now();
    if (await emit(callbacks, 'onEpochBegin', { ...base, epoch })) {
      stopped = 'stopped by a callback';
      break;
    }
    let b = 0;
    for await (const batch of host.trainBatches(host.epochsTrained)) {
      const step = epoch * batches + Math.min(b, batches - 1);
      const hyper = schedule(step);
      opt.setLr(hyper.lr);
      opt.setMomentum(hyper.mom);
      let loss: number;
      try {
        loss = await host.trainStep(batch);
      } finally {
        if (batch.features) tf.dispose([batch.x, batch.y]);
      }
      const debiased = watch.add(loss);
      host.recorder.recordStep(hyper.lr, hyper.mom, debiased);
      if (host.options.stopOnDivergence && watch.diverged(loss, debiased)) {
        stopped = `training diverged at epoch ${epoch}, batch ${b} (loss ${loss.toFixed(4)}, best ${watch.best.toFixed(4)}): the learning rate is too high (max ${Math.max(...hyper.lr).toExponential(1)}); try about a tenth of it, or run lrFind()`;
        break;
      }
      watch.keep(debiased);
      if (await emit(callbacks, 'onBatchEnd', { ...base, epoch, batch: b, batches, loss, lrs: hyper.lr })) stopped = 'stopped by a callback';
      b++;
      if (stopped) break;
    }
    if (stopped && stopped.startsWith('training diverged')) break;
    const val = await host.validate();
    const record: EpochRecord = {
      epoch,
      trainLoss: host.recorder.losses[host.recorder.losses.length - 1] ?? NaN,
      validLoss: val.loss,
      metrics: val.metrics,
      time: (performance.now() - t0) / 1000,
    };
    host.recorder.recordEpoch(record);
    records.push(record);
    host.epochsTrained++;
    host.log(formatRow(record, host.recorder.metricNames));
    host.setFitState({ ...fitKey, completedEpochs: epoch + 1 });
    if (options.checkpoint) await host.save(options.checkpoint);
    if (await emit(callbacks, 'onEpochEnd', { ...base, epoch, record })) stopped ??= 'stopped by a callback';
  }
  host.setFitState(undefined);
  if (stopped) host.log(stopped);
  await emit(callbacks, 'onFitEnd', { ...base, stopped });
  return { epochs: records, ...(stopped ? { stopped } : {}) };
}

async function tryResume(host: TrainingHost, name: string, key: Omit<FitState, 'completedEpochs'>): Promise<FitState | undefined> {
  const st = await host.peekCheckpoint(name);
  if (!st || st.kind !== key.kind || st.epochs !== key.epochs || JSON.stringify(st.lr) !== JSON.stringify(key.lr) || st.frozen !== key.frozen) return undefined;
  await host.load(name);
  return st;
}

async function emit(callbacks: Callback[], hook: keyof Omit<Callback, 'name'>, e: FitEvent): Promise<boolean> {
  let stop = false;
  for (const cb of callbacks) {
    const fn = cb[hook] as ((e: FitEvent) => unknown) | undefined;
    if (fn && (await fn.call(cb, e)) === 'stop') stop = true;
  }
  return stop;
}
