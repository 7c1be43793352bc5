import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, getBackendPlugin, useBackend } from '@bears/backend';
import '@bears/backend-wasm';
import { describe, expect, it } from 'vitest';
import { createWebGlBackend, createWebGpuBackend, webglBackend, webgpuBackend, WEBGL_PRIORITY, WEBGPU_PRIORITY } from './index.js';

describe('browser plugins in Node', () => {
  it('register on import, above wasm, WebGPU first', () => {
    expect(getBackendPlugin('webgpu')).toBe(webgpuBackend);
    expect(getBackendPlugin('webgl')).toBe(webglBackend);
    expect(WEBGPU_PRIORITY).toBeGreaterThan(WEBGL_PRIORITY);
    expect(WEBGL_PRIORITY).toBeGreaterThan(getBackendPlugin('wasm')!.priority);
  });

  it('say why they are unavailable instead of throwing', async () => {
    expect(await webgpuBackend.isAvailable()).toEqual({ ok: false, reason: expect.stringMatching(/no navigator\.gpu/) });
    expect(await webglBackend.isAvailable()).toEqual({ ok: false, reason: expect.stringMatching(/WebGL runs in browsers/) });
  });

  it("refuse an explicit useBackend('webgpu') with the reason", async () => {
    await expect(useBackend('webgpu', { env: null })).rejects.toThrow(BackendUnavailableError);
    await expect(useBackend('webgpu', { env: null })).rejects.toThrow(/Backend 'webgpu' cannot start: WebGPU runs in browsers/);
  });

  it("let 'auto' fall through to wasm and report both as skipped", async () => {
    const active = await useBackend('auto', { env: null });
    expect(active.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(active.skipped.map((s) => s.name)).toEqual(['webgpu', 'webgl']);
  });

  it('take an injected environment (how a page with a real adapter looks)', async () => {
    const plugin = createWebGpuBackend({
      environment: () => ({ runtime: 'browser', secureContext: true, gpu: { requestAdapter: async () => ({ info: { vendor: 'apple', architecture: 'metal-3' } }) } }),
    });
    // The probe passes; tfjs-backend-webgpu never registered in Node, and the plugin says so.
    expect(await plugin.isAvailable()).toEqual({ ok: false, reason: expect.stringMatching(/tfjs-backend-webgpu did not register/) });
    const gl = createWebGlBackend({ environment: () => ({ runtime: 'browser', getContext: () => null }) });
    expect(await gl.isAvailable()).toEqual({ ok: false, reason: expect.stringMatching(/no WebGL context/) });
  });

  it('have the browser codec, which needs OffscreenCanvas', async () => {
    await expect(webgpuBackend.codec()).rejects.toThrow(/createImageBitmap and OffscreenCanvas/);
  });
});
