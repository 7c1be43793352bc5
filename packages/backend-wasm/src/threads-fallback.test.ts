import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import { describe, expect, it } from 'vitest';
import { configureWasmThreads, setThreadStarter, wasmThreadCount } from './index.js';

// A runtime whose threads cannot start (here: a starter that leaves Node's Worker alone, so tfjs's
// `blob:` worker URL is rejected) still gets the backend, on the single-threaded build.
describe('wasm threads that cannot start', () => {
  it('falls back to one thread and computes', async () => {
    let prepared = 0;
    setThreadStarter({ runtime: 'test', cores: () => 2, prepare: () => { prepared++; return () => {}; } });
    configureWasmThreads('auto');
    const active = await useBackend('wasm', { env: null });
    expect(prepared).toBe(1);
    expect(wasmThreadCount()).toBe(1);
    expect(active.capabilities.threads).toBe(1);
    expect(active.capabilities.details).toContain('one thread');
    expect(tf.getBackend()).toBe('wasm');
    expect(Array.from(tf.add(tf.tensor1d([1, 2]), 1).dataSync())).toEqual([2, 3]);
  });

  it('rejects a thread count that is not a whole number >= 1', () => {
    expect(() => configureWasmThreads(0)).toThrow(/whole number >= 1 or 'auto', got 0/);
    expect(() => configureWasmThreads(1.5)).toThrow(RangeError);
  });
});
