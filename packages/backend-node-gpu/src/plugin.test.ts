import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, getBackendPlugin, registerBackend, useBackend } from '@bears/backend';
import '@bears/backend-wasm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNodeCpuBackend, createNodeGpuBackend, nodeCpuBackend, nodeGpuBackend, NODE_CPU_PRIORITY, NODE_GPU_PRIORITY } from './index.js';
import { resetTensorflowProvider, tensorflowProvider } from './tensorflow.js';
import { fakeProbe, fakeTfjsNode, HEALTHY_LIBS, removeFakeTfjsNode } from './testing/fakes.js';

const V = { '@tensorflow/tfjs-node-gpu': '4.22.0', '@tensorflow/tfjs-node': '4.22.0' };
const noCudnn = () => {
  const libs: Record<string, string> = { ...HEALTHY_LIBS };
  delete libs['libcudnn.so.8'];
  return libs;
};

beforeEach(async () => {
  await useBackend('wasm', { env: null });
});
afterEach(async () => {
  removeFakeTfjsNode();
  resetTensorflowProvider();
  registerBackend(nodeGpuBackend);
  registerBackend(nodeCpuBackend);
  await tf.setBackend('wasm');
});

describe('on this machine (no tfjs-node installed, no GPU)', () => {
  it('registers both plugins on import without loading tfjs-node', () => {
    expect(getBackendPlugin('node-gpu')).toBe(nodeGpuBackend);
    expect(getBackendPlugin('node-cpu')).toBe(nodeCpuBackend);
    expect(NODE_GPU_PRIORITY).toBeGreaterThan(NODE_CPU_PRIORITY);
    expect(NODE_CPU_PRIORITY).toBeGreaterThan(getBackendPlugin('wasm')!.priority);
    expect(tensorflowProvider()).toBeUndefined();
  });

  it("says exactly how to install tfjs-node-gpu when asked for 'node-gpu'", async () => {
    const err = await useBackend('node-gpu', { env: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/Backend 'node-gpu' cannot start: @tensorflow\/tfjs-node-gpu is not installed/);
    expect((err as Error).message).toContain('npm install @tensorflow/tfjs-node-gpu@4.22.0');
    expect((err as Error).message).toMatch(/CUDA 11\.2 and cuDNN 8\.1 .*NVIDIA driver >= 450\.80\.02, on Linux x64/);
  });

  it("says how to install tfjs-node when asked for 'node-cpu'", async () => {
    await expect(useBackend('node-cpu', { env: null })).rejects.toThrow(/@tensorflow\/tfjs-node is not installed[\s\S]*npm install @tensorflow\/tfjs-node@4\.22\.0/);
  });

  it("lets 'auto' fall through to wasm, reporting why each was skipped", async () => {
    const active = await useBackend('auto', { env: null });
    expect(active.name).toBe('wasm');
    expect(active.skipped).toEqual([
      { name: 'node-gpu', reason: expect.stringMatching(/tfjs-node-gpu is not installed/) },
      { name: 'node-cpu', reason: expect.stringMatching(/tfjs-node is not installed/) },
    ]);
  });
});

describe('node-gpu with injected fakes', () => {
  it('starts on the GPU when libraries load and TensorFlow made a GPU device', async () => {
    const loader = fakeTfjsNode({ versions: V, isUsingGpuDevice: true });
    const warn = vi.fn();
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: HEALTHY_LIBS }), loader, env: {}, warn }));
    const active = await useBackend('node-gpu', { env: null });
    expect(active.tfBackendName).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(active.capabilities).toEqual({
      runtime: 'node',
      accelerator: 'gpu',
      canTrain: true,
      details: 'tfjs-node-gpu 4.22.0 (libtensorflow 2.9.1), CUDA GPU: NVIDIA A100-SXM4-40GB (driver 535.104.05, sm 8.0)',
    });
    expect(active.codec.name).toBe('sharp');
    expect(warn).not.toHaveBeenCalled();
    expect(tensorflowProvider()).toBe('@tensorflow/tfjs-node-gpu');
  });

  it('refuses a missing libcudnn before loading anything, naming it', async () => {
    const loader = fakeTfjsNode({ versions: V, isUsingGpuDevice: false });
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: noCudnn() }), loader, env: {} }));
    await expect(useBackend('node-gpu', { env: null })).rejects.toThrow(/libcudnn\.so\.8 \(cuDNN 8\) not found[\s\S]*To fix: .*allowCpuFallback: true/);
    expect(loader.loaded).toEqual([]);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('init() after a failed isAvailable() still refuses (never loads tfjs-node-gpu)', async () => {
    const loader = fakeTfjsNode({ versions: V, isUsingGpuDevice: true });
    const plugin = createNodeGpuBackend({ probe: () => fakeProbe({ loadable: noCudnn() }), loader, env: {} });
    expect((await plugin.isAvailable()).ok).toBe(false);
    await expect(plugin.init()).rejects.toThrow(/libcudnn\.so\.8/);
    expect(loader.loaded).toEqual([]);
  });

  it('falls back to the CPU with a loud warning when BEARS_ALLOW_CPU_FALLBACK=1', async () => {
    const loader = fakeTfjsNode({ versions: V, isUsingGpuDevice: false });
    const warn = vi.fn();
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: noCudnn() }), loader, env: { BEARS_ALLOW_CPU_FALLBACK: '1' }, warn }));
    const active = await useBackend('node-gpu', { env: null });
    expect(active.capabilities.accelerator).toBe('cpu');
    expect(active.capabilities.details).toMatch(/CPU FALLBACK/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/node-gpu is running on the CPU, not the GPU[\s\S]*libcudnn\.so\.8/);
  });

  it('catches the silent fallback after loading, and restores the previous backend', async () => {
    const loader = fakeTfjsNode({ versions: V, isUsingGpuDevice: false });
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: HEALTHY_LIBS }), loader, env: {} }));
    await expect(useBackend('node-gpu', { env: null })).rejects.toThrow(/libtensorflow started without a GPU device although the CUDA libraries load/);
    expect(loader.loaded).toEqual(['@tensorflow/tfjs-node-gpu']);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('lets the allowCpuFallback option override the environment', async () => {
    const loader = fakeTfjsNode({ versions: V, isUsingGpuDevice: false });
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: noCudnn() }), loader, env: { BEARS_ALLOW_CPU_FALLBACK: '1' }, allowCpuFallback: false }));
    await expect(useBackend('node-gpu', { env: null })).rejects.toThrow(/libcudnn\.so\.8/);
  });

  it("under 'auto', skips a GPU it cannot use and says why", async () => {
    const loader = fakeTfjsNode({ versions: V });
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: noCudnn() }), loader, env: {} }));
    registerBackend(createNodeCpuBackend({ loader: fakeTfjsNode({}) }));
    const active = await useBackend('auto', { env: null });
    expect(active.name).toBe('wasm');
    expect(active.skipped[0]).toEqual({ name: 'node-gpu', reason: expect.stringMatching(/libcudnn\.so\.8/) });
  });

  it('explains a tfjs-node-gpu whose native part is missing', async () => {
    const loader = fakeTfjsNode({ versions: V, loadError: new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/tfjs_binding.node') });
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: HEALTHY_LIBS }), loader, env: {} }));
    await expect(useBackend('node-gpu', { env: null })).rejects.toThrow(/installed but failed to load: .*tfjs_binding\.node[\s\S]*npm rebuild @tensorflow\/tfjs-node-gpu/);
  });

  it('refuses a tfjs-node-gpu major version that does not match tfjs-core 4', async () => {
    const loader = fakeTfjsNode({ versions: { '@tensorflow/tfjs-node-gpu': '3.21.0' } });
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: HEALTHY_LIBS }), loader, env: {} }));
    await expect(useBackend('node-gpu', { env: null })).rejects.toThrow(/tfjs-node-gpu@3\.21\.0 is installed; Bears needs 4\.x/);
  });
});

describe('node-cpu with injected fakes', () => {
  it('starts tfjs-node on the CPU', async () => {
    registerBackend(createNodeCpuBackend({ loader: fakeTfjsNode({ versions: V }) }));
    const active = await useBackend('node-cpu', { env: null });
    expect(active.capabilities).toMatchObject({ runtime: 'node', accelerator: 'cpu', canTrain: true, details: 'tfjs-node 4.22.0 (libtensorflow 2.9.1), CPU' });
    const y = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])));
    expect(await y.data()).toEqual(new Float32Array([6]));
    y.dispose();
  });

  it('will not load tfjs-node beside an already loaded tfjs-node-gpu', async () => {
    registerBackend(createNodeGpuBackend({ probe: () => fakeProbe({ loadable: HEALTHY_LIBS }), loader: fakeTfjsNode({ versions: V, isUsingGpuDevice: true }), env: {} }));
    await useBackend('node-gpu', { env: null });
    const cpu = createNodeCpuBackend({ loader: fakeTfjsNode({ versions: V }) });
    expect(await cpu.isAvailable()).toEqual({ ok: false, reason: expect.stringMatching(/already loaded @tensorflow\/tfjs-node-gpu .* choose one backend per process/) });
  });
});
