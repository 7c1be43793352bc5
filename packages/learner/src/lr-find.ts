import * as tf from '@tensorflow/tfjs-core';
import { lrFind as sgdLrFind, type LrFindResult } from '@bears/sgd';
import type { LrFindOutcome } from './learner-options.js';
import { lrFindSvg, svgToPng } from './plot.js';
import type { OnProgress } from './preds.js';
import type { TrainBatch } from './train-batch.js';
import type { TrainingHost } from './training-host.js';

/**
 * The LR range test: trains with an exponentially growing learning rate (1e-7 to 10 over 100 batches),
 * stops when the loss explodes, restores the weights and optimizer, and suggests a learning rate.
 */
export async function lrFind(host: TrainingHost, options: { startLr?: number; endLr?: number; numIt?: number; onProgress?: OnProgress } = {}): Promise<LrFindOutcome> {
  const numIt = options.numIt ?? 100;
  const restore = await host.snapshotTraining();
  let it: AsyncIterator<TrainBatch> | undefined;
  let epoch = host.epochsTrained;
  const nextBatch = async (): Promise<TrainBatch> => {
    for (;;) {
      it ??= host.trainBatches(epoch)[Symbol.asyncIterator]();
      const r = await it.next();
      if (!r.done) return r.value;
      it = undefined;
      epoch++;
    }
  };
  let result: LrFindResult;
  try {
    const opt = host.optimizerForTraining();
    result = await sgdLrFind(
      async (lr, iteration) => {
        opt.setLr(lr);
        opt.setMomentum(0.9);
        const batch = await nextBatch();
        try {
          return await host.trainStep(batch);
        } finally {
          if (batch.features) tf.dispose([batch.x, batch.y]);
          options.onProgress?.({ phase: 'lr-find', done: iteration + 1, total: numIt });
        }
      },
      { startLr: options.startLr ?? 1e-7, endLr: options.endLr ?? 10, numIt },
    );
  } finally {
    await it?.return?.(undefined);
    restore();
  }
  const suggestion = result.suggestions?.valley.lr ?? null;
  if (suggestion !== null) host.log(`lrFind: suggested lr ${suggestion.toExponential(2)} (valley; steepest ${result.suggestions!.steep.lr.toExponential(2)}, minimum/10 ${result.suggestions!.minimum.lr.toExponential(2)})`);
  return {
    ...result,
    suggestion,
    plot: () => svgToPng(lrFindSvg(result)),
  };
}
