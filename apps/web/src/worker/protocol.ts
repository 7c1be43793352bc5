// Messages between the pages and the model worker. Every request carries an id; the worker answers
// with the same id (result or error) and may send progress events for it first.

export type BackendChoice = 'auto' | 'webgpu' | 'webgl' | 'wasm';

export interface BackendInfo {
  name: string;
  asked: BackendChoice;
  skipped: Array<{ name: string; reason: string }>;
  details?: string;
  accelerator: 'gpu' | 'cpu';
  canTrain: boolean;
  crossOriginIsolated: boolean;
  /** wasm only: whether tfjs loaded its threaded build (needs cross-origin isolation), and its thread count. */
  wasmThreadedBuild?: boolean;
  wasmThreads?: number;
  wasmSimd?: boolean;
}

export interface ModelInfo {
  classes: string[];
  inputSize: number;
  arch: string;
  ms: number;
  validation?: { loss: number; metrics: Record<string, number> };
}

export interface PredictResult {
  label: string;
  index: number;
  classes: string[];
  probabilities: number[];
  ms: number;
}

export interface TrainItem {
  label: string;
  name: string;
  bytes: Uint8Array;
}

export interface TrainOptions {
  bodyUrl: string;
  epochs: number;
  lr: number;
  validPct: number;
  seed: number;
  size: number;
}

export interface TrainProgress {
  phase: string;
  done: number;
  total: number;
  /** Per-batch training loss, and per-epoch validation loss when an epoch ends. */
  trainLoss?: number;
  validLoss?: number;
  epoch?: number;
}

export interface TrainResult {
  classes: string[];
  accuracy: number;
  /** confusion[actual][predicted], counts over the validation items. */
  confusion: number[][];
  nValid: number;
  nTrain: number;
  ms: number;
}

export type Request =
  | { type: 'init'; backend: BackendChoice }
  | { type: 'load'; url: string }
  | { type: 'predict'; bytes: Uint8Array; model: 'loaded' | 'trained' }
  | { type: 'train'; items: TrainItem[]; options: TrainOptions }
  | { type: 'export' };

export interface Responses {
  init: BackendInfo;
  load: ModelInfo;
  predict: PredictResult;
  train: TrainResult;
  export: { files: Record<string, Uint8Array> };
}

export type WorkerMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { id: number; progress: TrainProgress };
