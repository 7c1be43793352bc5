/** Where an interrupted fit stood, so it can resume on the same schedule (saved with checkpoints). */
export interface FitState {
  kind: 'oneCycle';
  epochs: number;
  lr: number | [number, number];
  frozen: boolean;
  completedEpochs: number;
}
