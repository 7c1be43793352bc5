import type * as tfl from '@tensorflow/tfjs-layers';
import { detectRuntime, type ActiveBackend } from '@bears/backend';
import { LearnerError } from './errors.js';
import { nodePart } from './lazy-node-part.js';
import type { InferencePool } from './node/parallel-infer.js';

/**
 * Worker copies of a model (training replicas, inference copies): the option when given, else in
 * Node on the wasm backend its threads (--threads, BEARS_THREADS or auto); elsewhere 1 (none).
 */
export function workersWanted(option: number | undefined, backend: ActiveBackend | undefined): number {
  if (option !== undefined) return option;
  return backend?.name === 'wasm' && detectRuntime() === 'node' ? (backend.capabilities.threads ?? 1) : 1;
}

/**
 * An inference pool of `wanted` copies of the model, or undefined: fewer than 2 wanted, not Node,
 * not wasm, memory for fewer than 2, or the workers did not start. Asked for by name (`required`),
 * the reason it cannot be had is thrown; by default inference stays on the backend's threads.
 */
export async function startInference(
  model: tfl.LayersModel,
  wanted: number,
  required: boolean,
  options: { fuse: boolean; what: string; backend: ActiveBackend | undefined },
): Promise<InferencePool | undefined> {
  if (wanted < 2) return undefined;
  if (detectRuntime() !== 'node') {
    if (required) throw new LearnerError(`${options.what} on worker_threads needs Node (set inferenceWorkers: 1 here)`);
    return undefined;
  }
  if (options.backend?.name !== 'wasm') {
    // The copies run on wasm: on another backend they would not give this backend's outputs.
    if (required) throw new LearnerError(`${options.what} on worker_threads runs copies on the wasm backend; this model uses '${options.backend?.name ?? 'none'}' (set inferenceWorkers: 1)`);
    return undefined;
  }
  try {
    return await (await nodePart(`${options.what} on worker_threads`)).startInferencePool(model, wanted, { fuse: options.fuse });
  } catch (err) {
    if (required) throw err;
    return undefined;
  }
}
