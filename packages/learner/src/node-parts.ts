// What the root Learner loads on demand in Node (save, load, export to a folder): kept apart from
// node.ts so learner.ts does not import the index through it (no import cycle).
export { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
export { exportLearner } from './export-node.js';
export { startInferencePool } from './node/parallel-infer.js';
export { startTrainingPool } from './node/parallel-train.js';
