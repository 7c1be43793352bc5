import type { AdamW } from '@bears/sgd';
import type { Callback } from './callbacks.js';
import type { FeatureCache } from './feature-cache.js';
import type { FitState } from './fit-state.js';
import type { ValidationResult } from './learner-options.js';
import type { Recorder } from './recorder.js';
import type { TrainBatch } from './train-batch.js';

/**
 * What the fit loop and the LR finder drive: the Learner's training internals. An interface, so
 * fit-one-cycle.ts and lr-find.ts do not import learner.ts (no import cycle).
 */
export interface TrainingHost {
  recorder: Recorder;
  epochsTrained: number;
  readonly isFrozen: boolean;
  readonly options: { callbacks?: Callback[]; stopOnDivergence: boolean };
  log(line: string): void;
  optimizerForTraining(): AdamW;
  usesFeatureCache(): boolean;
  prepareFeatures(): Promise<FeatureCache>;
  trainBatchCount(): number;
  trainBatches(epochIndex: number): AsyncGenerator<TrainBatch>;
  trainStep(batch: TrainBatch): Promise<number>;
  validate(): Promise<ValidationResult>;
  save(name: string): Promise<string>;
  load(name: string): Promise<void>;
  /** Where a checkpoint's fit stood (undefined when there is no such checkpoint). */
  peekCheckpoint(name: string): Promise<FitState | undefined>;
  setFitState(state: FitState | undefined): void;
  /** Saves weights, optimizer state and the recorder; the returned function puts them back. */
  snapshotTraining(): Promise<() => void>;
}
