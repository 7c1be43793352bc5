// @bears/learner root entry: Web-standard (no node:*, no sharp): train and predict from in-memory data
// in Node, browsers and Workers; exports as file maps or URLs. Folders, checkpoints and the weights
// download cache: '@bears/learner/node'.
export { cnnLearner } from './cnn-learner.js';
export { Learner } from './learner.js';
export { evenMults, DEFAULT_LR } from './learning-rates.js';
export type { CnnLearnerOptions, FitOptions, FitResult, LrFindOutcome, ValidationResult } from './learner-options.js';
export { customArch, defaultModelReader, getArch, listArchs, loadBody, registerArch, copyWeightsByName } from './archs.js';
export type { ArchSpec, Body, LoadBodyOptions, ModelReader } from './archs.js';
export { resnetBody } from './resnet.js';
export type { ResNetDepth } from './resnet.js';
export { createHead, concatPool } from './head.js';
export type { HeadOptions } from './head.js';
export { accuracy, errorRate, crossEntropy } from './metrics.js';
export type { Metric } from './metrics.js';
export { Recorder, formatHeader, formatRow } from './recorder.js';
export type { EpochRecord } from './recorder.js';
export { checkpointCallback, progressCallback } from './callbacks.js';
export type { Callback, FitEvent } from './callbacks.js';
export { FeatureCache } from './feature-cache.js';
export type { LearnerData, Item, Batch, LoaderOptions } from './feature-cache.js';
export { planPhysicalBatch, WASM_DEFAULT_BUDGET } from './memory.js';
export type { BatchPlan } from './memory.js';
export { exportToFiles, loadExport, checkMetadata, ExportedModel, ExportedLearner } from './export.js';
export type { Exportable, ExportMetadata, LoadExportOptions } from './export.js';
export { inputFor } from './inference.js';
export type { ImageInput, InputSpec, Prediction } from './inference.js';
export type { GetPredsOptions, OnProgress, PredItem, Preds } from './preds.js';
export { modelArtifactsFrom, parseModelJson } from './model-files.js';
export type { ArtifactsOptions, ModelSource } from './model-files.js';
export { imagenetStats, inceptionStats, unitStats } from './normalization.js';
export type { Normalization } from './normalization.js';
export { LearnerError, ModelFileError } from './errors.js';
export { lineChartSvg, lrFindSvg, svgToPng } from './plot.js';
export { LIBRARY_VERSION, EXPORT_FORMAT_VERSION, CHECKPOINT_FORMAT_VERSION } from './version.js';
export { forwardFlops } from './flops.js';
export type { FitState } from './fit-state.js';
