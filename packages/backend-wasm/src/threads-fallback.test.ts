import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bears/backend';
import { describe, expect, it } from 'vitest';
import { configureWasmThreads, plannedWasmThreads, setThreadStarter, wasmThreadCount, wasmThreadNote } from './index.js';

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

  it("'auto' takes the cores other work leaves free; a number is taken as asked (at most 8)", () => {
    const starter = (cores: number, busy: number) => ({ runtime: 'test', cores: () => cores, busyCores: () => busy, prepare: () => () => {} });
    configureWasmThreads('auto');
    const cases: Array<[number, number, number]> = [[2, 0.2, 2], [2, 1.2, 1], [2, 15, 1], [8, 0.4, 8], [8, 3.4, 5], [16, 0, 8]];
    for (const [cores, busy, want] of cases) {
      setThreadStarter(starter(cores, busy));
      expect(plannedWasmThreads(), `${cores} cores, ${busy} busy`).toBe(want);
      expect(wasmThreadNote() !== '', `note for ${cores} cores, ${busy} busy`).toBe(want < Math.min(cores, 8));
    }
    expect((setThreadStarter(starter(2, 15)), plannedWasmThreads(), wasmThreadNote())).toBe('auto: 2 cores, 15.0 busy');
    configureWasmThreads(2);
    expect(plannedWasmThreads()).toBe(2);
    expect(wasmThreadNote()).toBe('');
    configureWasmThreads(12);
    expect(plannedWasmThreads()).toBe(8);
    setThreadStarter(undefined);
    expect(plannedWasmThreads()).toBe(1); // Node without /node: no starter, one thread
  });

  it('rejects a thread count that is not a whole number >= 1', () => {
    expect(() => configureWasmThreads(0)).toThrow(/whole number >= 1 or 'auto', got 0/);
    expect(() => configureWasmThreads(1.5)).toThrow(RangeError);
  });
});
