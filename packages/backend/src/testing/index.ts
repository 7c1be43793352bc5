// The conformance suite every Bears backend runs: forward ops, gradients, a training run, the
// image codec and tensor leaks, on the current tfjs backend against tfjs-backend-cpu.
// Browser-safe: no Node imports; test images are embedded.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu'; // the numerical reference
import '../gradients.js';
import { useBackend } from '../registry.js';
import { codecCases } from './codec.js';
import { forwardCases } from './forward.js';
import { gradientCases } from './gradients.js';
import { trainingCases } from './training.js';
import type { ConformanceCase, ConformanceOptions, ConformanceResult } from './types.js';

export type { ConformanceCase, ConformanceOptions, ConformanceResult, Scale } from './types.js';
export { assertClose, compareWithCpu, randomData, runOn } from './check.js';
export { mobileNetV2, timeMobileNetV2 } from './mobilenet-v2.js';
export type { BenchConfig, BenchTimes, MobileNetV2Options } from './mobilenet-v2.js';

/** Wraps a case so it also fails when it leaves tensors behind. */
function leakChecked(c: ConformanceCase): ConformanceCase {
  return {
    ...c,
    async run() {
      const before = tf.memory().numTensors;
      await c.run();
      const after = tf.memory().numTensors;
      if (after !== before) throw new Error(`${c.group} > ${c.name}: leaked ${after - before} tensor(s) (tf.memory().numTensors ${before} -> ${after})`);
    },
  };
}

/** Every case, in a stable order; names are unique within their group. */
export function conformanceCases(options: ConformanceOptions = {}): ConformanceCase[] {
  const scale = options.scale ?? 'small';
  return [...forwardCases(scale), ...gradientCases(scale), ...trainingCases(scale), ...codecCases()].map(leakChecked);
}

/** Runs cases one after another on the current backend and reports each (never throws). */
export async function runConformance(cases: ConformanceCase[]): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    try {
      await c.run();
      results.push({ name: c.name, group: c.group, ok: true, ms: performance.now() - t0 });
    } catch (err) {
      results.push({ name: c.name, group: c.group, ok: false, error: err instanceof Error ? err.message : String(err), ms: performance.now() - t0 });
    }
  }
  return results;
}

/** The subset of vitest (or jest) this needs; pass `{ describe, it, beforeAll, expect }`. */
export interface VitestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>, timeout?: number) => void;
  beforeAll: (fn: () => Promise<unknown>, timeout?: number) => void;
  expect: (value: unknown) => { toBe(expected: unknown): void };
}

/**
 * Declares the suite as vitest tests for a registered Bears backend (started with useBackend,
 * BEARS_BACKEND ignored): one test per case, grouped by case group.
 */
export function defineConformanceSuite(backendName: string, vitest: VitestApi, options: ConformanceOptions & { timeout?: number } = {}): void {
  const { describe, it, beforeAll, expect } = vitest;
  const cases = conformanceCases(options);
  describe(`conformance: ${backendName}`, () => {
    let tfName = '';
    beforeAll(async () => {
      tfName = (await useBackend(backendName, { env: null })).tfBackendName;
    }, options.timeout ?? 60_000);
    for (const group of [...new Set(cases.map((c) => c.group))]) {
      describe(group, () => {
        for (const c of cases.filter((k) => k.group === group)) {
          it(c.name, async () => {
            // A previous case may have left another backend current (cpu reference runs).
            if (tf.getBackend() !== tfName) await tf.setBackend(tfName);
            await c.run();
            expect(tf.getBackend()).toBe(tfName);
          }, options.timeout ?? 60_000);
        }
      });
    }
  });
}
