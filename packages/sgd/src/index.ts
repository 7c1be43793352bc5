// @bears/sgd: the lesson's SGD from scratch, optimizers with parameter groups, schedules,
// LR-finder math, training diagnosis and SVG plots. Browser-safe; PNG/GIF output is in '@bears/sgd/png'.
export { Rng } from '@bears/data';
export {
  makeLinearData,
  mse,
  leastSquares,
  lossAt,
  gradientDescent,
  minibatchSgd,
  diagnoseLinearRun,
} from './from-scratch.js';
export type {
  LinearData,
  MakeLinearDataOptions,
  LinearStep,
  LinearRun,
  TrainLinearOptions,
  GradientDescentOptions,
  MinibatchSgdOptions,
  LinearFitKind,
  LinearFitDiagnosis,
} from './from-scratch.js';
export { Optimizer, SGD, Adam, AdamW } from './optimizers.js';
export type { ParamGroup, Gradients, OptimizerType, OptimizerState, BaseOptimizerOptions, SGDOptions, AdamOptions } from './optimizers.js';
export { oneCycle, constantSchedule, cosineSchedule, lrRange, annealCos, annealLinear, annealExp } from './schedules.js';
export type { Schedule, StepHyper, OneCycleOptions } from './schedules.js';
export { lrFinderLrs, LossSmoother, shouldStopLrFind, suggestLrs, numpyGradient, forwardSlopes, lrFind } from './lr-find.js';
export type { LrSuggestion, LrSuggestions, LrFinderLrsOptions, SuggestOptions, LrFindOptions, LrFindResult } from './lr-find.js';
export { diagnoseHistory } from './diagnose.js';
export type { EpochRecord, HistoryRow, Finding, FindingKind, DiagnoseOptions } from './diagnose.js';
export { linePlotSvg, plotFrame, niceTicks, logTicks, formatTick, PLOT_COLORS } from './plot.js';
export type { PlotSeries, PlotMark, PlotVLine, LinePlotOptions, PlotFrame, FrameInput } from './plot.js';
export { animationFrames, fitAnimationSvg, fitFrameSvg, fitAnimationHtml, lossCurveSvg } from './animation.js';
export type { FitAnimationOptions, LossCurveOptions } from './animation.js';
