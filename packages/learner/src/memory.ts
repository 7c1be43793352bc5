import * as tf from '@tensorflow/tfjs-core';
import type { BackendCapabilities } from '@bears/backend';

export interface BatchPlan {
  logical: number;
  physical: number;
  /** Estimated bytes one image adds to a training step. */
  bytesPerImage: number;
  message: string;
}

/** @deprecated the wasm backend now reports its budget in capabilities().memoryBudgetBytes (the same 1.25 GB). */
export const WASM_DEFAULT_BUDGET = 1.25e9;

/**
 * Picks the largest micro-batch whose training step fits the memory budget, measuring a step's peak
 * tensor memory at 1 and 2 images (tf.profile) so the estimate matches this model and size. Batches
 * larger than that are split and their gradients accumulated (same result when batch norm uses running
 * statistics). The budget is the one given, else the backend's (capabilities.memoryBudgetBytes: wasm
 * has one); without either the logical batch is kept.
 */
export async function planPhysicalBatch(options: {
  logical: number;
  budgetBytes?: number;
  capabilities?: Pick<BackendCapabilities, 'memoryBudgetBytes'>;
  backendName?: string;
  probe: (images: number) => void;
  safety?: number;
}): Promise<BatchPlan> {
  const { logical } = options;
  const budget = options.budgetBytes ?? options.capabilities?.memoryBudgetBytes;
  if (budget === undefined || logical <= 1) return { logical, physical: logical, bytesPerImage: 0, message: '' };
  const safety = options.safety ?? 1.5;
  const base = tf.memory().numBytes;
  const p1 = (await tf.profile(() => options.probe(1))).peakBytes - base;
  const p2 = (await tf.profile(() => options.probe(2))).peakBytes - base;
  const perImage = Math.max(p2 - p1, p1 / 2, 1);
  const fixed = Math.max(0, p1 - perImage);
  const fits = Math.floor((budget - base - fixed) / (perImage * safety));
  const physical = Math.max(1, Math.min(logical, fits));
  const mb = (b: number) => `${Math.round(b / 1e6)} MB`;
  const message =
    physical < logical
      ? `memory: a training step needs about ${mb(perImage)} per image on '${options.backendName ?? tf.getBackend()}' (budget ${mb(budget)}, in use ${mb(base)}), so each batch of ${logical} runs as ${Math.ceil(logical / physical)} micro-batches of ${physical} with gradient accumulation`
      : '';
  return { logical, physical, bytesPerImage: perImage, message };
}
