import type * as tf from '@tensorflow/tfjs-core';
import type { Input } from './check.js';

export type Scale = 'small' | 'full';

export interface ConformanceCase {
  name: string;
  group: string;
  /** Runs on the current tfjs backend; throws an Error naming the kernel, shapes and error on failure. */
  run(): Promise<void>;
}

export interface ConformanceOptions {
  /** 'small' (default) keeps tensors tiny for software GPUs; 'full' uses larger shapes. */
  scale?: Scale;
}

export interface ConformanceResult {
  name: string;
  group: string;
  ok: boolean;
  error?: string;
  ms: number;
}

/** [name, inputs, fn] of a case compared with the cpu reference. */
export type CompareSpec = [string, Input[], (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]];
