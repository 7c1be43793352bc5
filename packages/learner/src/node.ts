// @bears/learner/node: everything of the root entry, plus the Node-only parts: export folders
// (exportLearner, loadLearner), checkpoints, and the disk cache of downloaded pretrained weights.
export * from './index.js';
export { exportLearner, loadLearner, readExportFolder } from './export-node.js';
export { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
export type { CheckpointTarget } from './checkpoint.js';
export { defaultCacheDir, downloadModel, loadLayersModelFrom, readModelArtifacts, readModelFolder } from './model-cache.js';
export type { DownloadOptions } from './model-cache.js';
