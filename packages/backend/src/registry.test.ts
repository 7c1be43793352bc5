import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, cpuBackend, listBackends, registerBackend, unregisterBackend, useBackend } from './index.js';
import type { BackendPlugin } from './types.js';

function fake(name: string, priority: number, ok: boolean, extra: Partial<BackendPlugin> = {}): BackendPlugin {
  return {
    ...cpuBackend,
    name,
    priority,
    isAvailable: async () => (ok ? { ok: true } : { ok: false, reason: `${name} is missing`, install: `npm i ${name}` }),
    ...extra,
  };
}

describe('backend registry', () => {
  afterEach(() => {
    for (const p of listBackends()) unregisterBackend(p.name);
  });

  it('lists backends by priority, highest first', () => {
    registerBackend(fake('low', 1, true));
    registerBackend(fake('high', 10, true));
    expect(listBackends().map((p) => p.name)).toEqual(['high', 'low']);
  });

  it('auto picks the highest-priority backend that starts and reports what it skipped', async () => {
    registerBackend(fake('gpu-x', 100, false));
    registerBackend(fake('cpu', 1, true));
    const active = await useBackend('auto', { env: null });
    expect(active.name).toBe('cpu');
    expect(active.skipped).toEqual([{ name: 'gpu-x', reason: 'gpu-x is missing' }]);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('an explicit name that cannot start throws with the reason and the fix, never falls back', async () => {
    registerBackend(fake('gpu-x', 100, false));
    registerBackend(fake('cpu', 1, true));
    const err = await useBackend('gpu-x', { env: null }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.message).toContain('gpu-x is missing');
    expect(err.message).toContain('npm i gpu-x');
  });

  it('an unknown name says which package provides it', async () => {
    const err = await useBackend('webgpu', { env: null }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.message).toContain('@bears/backend-webgpu');
  });

  it('BEARS_BACKEND chooses when no name is given; an explicit name beats it', async () => {
    registerBackend(fake('cpu', 1, true));
    registerBackend(fake('other', 50, false));
    await expect(useBackend(undefined, { env: 'other' })).rejects.toThrow(/other is missing/);
    expect((await useBackend('cpu', { env: 'other' })).name).toBe('cpu');
  });

  it('a plugin whose init throws is reported as unavailable with the cause', async () => {
    registerBackend(fake('broken', 5, true, { init: async () => { throw new Error('driver exploded'); } }));
    await expect(useBackend('broken', { env: null })).rejects.toThrow(/driver exploded/);
  });

  it('auto with nothing registered says what to install', async () => {
    await expect(useBackend('auto', { env: null })).rejects.toThrow(/@bears\/backend-wasm/);
  });
});
