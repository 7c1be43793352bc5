// @bears/interpret (Web-standard): what the model gets wrong, and which images are bad data.
export { ClassificationInterpretation, formatConfusion } from './interpretation.js';
export type { ClassReport, ConfusedPair, ExportedLike, HasGetPreds, TopLoss } from './interpretation.js';
export { confidentJoint, findLabelIssues, labelQualityScores, perClassThresholds, roundPreservingRowTotals } from './confident-learning.js';
export type { ConfidentJoint, LabelIssueOptions, LabelIssues } from './confident-learning.js';
export { crossValProbs, fitPredictSoftmax, stratifiedFolds } from './kfold.js';
export type { CrossValOptions } from './kfold.js';
export { findDuplicates } from './duplicates.js';
export type { DuplicateItem, DuplicateOptions, Duplicates } from './duplicates.js';
export { cosineMatrix, normalizedRows } from './embedding.js';
export { knnOutlierScores, percentileRanks, robustZByClass } from './outliers.js';
export { defaultQualityThresholds, grey32, hammingDistance, imageFacts, perceptualHash, pixelHash, qualityIssues } from './facts.js';
export type { QualityThresholds, Rgb } from './facts.js';
export { defaultWeights, rankDataset } from './rank.js';
export type { RankExtras, RankResult, SignalWeights } from './rank.js';
export { rankingCsv } from './csv.js';
export type { DatasetRanking, DuplicateGroup, ImageFacts, OnProgress, Preds, Progress, RankedItem } from './types.js';
