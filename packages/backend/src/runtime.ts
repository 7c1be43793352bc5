import type { Runtime } from './types.js';

/** Detects the JS runtime without touching APIs that throw in some of them. */
export function detectRuntime(): Runtime {
  const g = globalThis as Record<string, unknown>;
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (proc?.versions?.node && typeof g.Deno === 'undefined' && typeof g.Bun === 'undefined') return 'node';
  if (typeof g.document !== 'undefined' || typeof g.WorkerGlobalScope !== 'undefined') return 'browser';
  return 'edge';
}

/** Reads an environment variable on any runtime (undefined where there is none). */
export function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = proc?.env?.[name];
  return v === undefined || v === '' ? undefined : v;
}
