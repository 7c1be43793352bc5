import { describe, expect, it } from 'vitest';
import { isSoftwareName, probeWebGl, probeWebGpu, type GlLike, type GpuAdapterLike, type WebGlEnvironment } from './availability.js';

const gpuWith = (adapter: GpuAdapterLike | null | Error) => ({
  requestAdapter: async () => {
    if (adapter instanceof Error) throw adapter;
    return adapter;
  },
});

describe('probeWebGpu', () => {
  it('says WebGPU is browser-only outside browsers', async () => {
    const r = await probeWebGpu({ gpu: undefined, secureContext: undefined, runtime: 'node' });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/browsers and Web Workers only; this is the 'node' runtime/) });
  });

  it('blames an insecure context when navigator.gpu is missing there', async () => {
    const r = await probeWebGpu({ gpu: undefined, secureContext: false, runtime: 'browser' });
    expect(r.ok === false && r.reason).toMatch(/not a secure context/);
  });

  it('says the browser lacks WebGPU when navigator.gpu is missing on a secure page', async () => {
    const r = await probeWebGpu({ gpu: undefined, secureContext: true, runtime: 'browser' });
    expect(r.ok === false && r.reason).toMatch(/this browser has no WebGPU/);
  });

  it('does not trust navigator.gpu alone: a null adapter is unavailable', async () => {
    const r = await probeWebGpu({ gpu: gpuWith(null), secureContext: true, runtime: 'browser' });
    expect(r.ok === false && r.reason).toMatch(/requestAdapter\(\) returned no adapter/);
  });

  it('reports a requestAdapter failure instead of throwing', async () => {
    const r = await probeWebGpu({ gpu: gpuWith(new Error('device lost')), secureContext: true, runtime: 'browser' });
    expect(r.ok === false && r.reason).toMatch(/requestAdapter\(\) failed: device lost/);
  });

  it('accepts a hardware adapter and summarises it', async () => {
    const r = await probeWebGpu({ gpu: gpuWith({ info: { vendor: 'nvidia', architecture: 'ampere', description: 'RTX 3060' } }), secureContext: true, runtime: 'browser' });
    expect(r).toEqual({ ok: true, value: { vendor: 'nvidia', architecture: 'ampere', description: 'RTX 3060', software: false } });
  });

  it('flags SwiftShader as software, and refuses it when allowSoftware is false', async () => {
    const swiftshader = gpuWith({ info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } });
    const env = { gpu: swiftshader, secureContext: true, runtime: 'browser' as const };
    const allowed = await probeWebGpu(env);
    expect(allowed.ok && allowed.value.software).toBe(true);
    const refused = await probeWebGpu(env, { allowSoftware: false });
    expect(refused.ok === false && refused.reason).toMatch(/only a software WebGPU adapter \(swiftshader\)/);
  });

  it('honours the older adapter.isFallbackAdapter flag', async () => {
    const r = await probeWebGpu({ gpu: gpuWith({ isFallbackAdapter: true, info: { vendor: 'x' } }), secureContext: true, runtime: 'browser' });
    expect(r.ok && r.value.software).toBe(true);
  });
});

function fakeGl(renderer: string, extensions: string[]): GlLike & { lost: boolean } {
  const gl = {
    RENDERER: 0x1f01,
    VERSION: 0x1f02,
    lost: false,
    getParameter: (p: number) => (p === 0x9246 || p === 0x1f01 ? renderer : 'WebGL'),
    getExtension: (name: string) => {
      if (name === 'WEBGL_lose_context') return { loseContext: () => { gl.lost = true; } };
      return extensions.includes(name) ? {} : null;
    },
  };
  return gl;
}

describe('probeWebGl', () => {
  const env = (contexts: Partial<Record<'webgl2' | 'webgl', GlLike>>): WebGlEnvironment => ({ runtime: 'browser', getContext: (k) => contexts[k] ?? null });

  it('says WebGL is browser-only outside browsers', () => {
    const r = probeWebGl({ runtime: 'node', getContext: () => null });
    expect(r.ok === false && r.reason).toMatch(/browsers and Web Workers only; this is the 'node' runtime/);
  });

  it('reports when no context can be created', () => {
    const r = probeWebGl(env({}));
    expect(r.ok === false && r.reason).toMatch(/no WebGL context could be created/);
  });

  it('prefers WebGL 2, reads the unmasked renderer, and releases the context', () => {
    const gl = fakeGl('NVIDIA GeForce RTX 3060', ['WEBGL_debug_renderer_info', 'EXT_color_buffer_float']);
    const r = probeWebGl(env({ webgl2: gl, webgl: fakeGl('other', []) }));
    expect(r).toEqual({ ok: true, value: { version: 2, renderer: 'NVIDIA GeForce RTX 3060', software: false, float32Render: true } });
    expect(gl.lost).toBe(true);
  });

  it('falls back to WebGL 1 and notes missing float32 render targets', () => {
    const r = probeWebGl(env({ webgl: fakeGl('Mali-G52', ['WEBGL_debug_renderer_info']) }));
    expect(r).toEqual({ ok: true, value: { version: 1, renderer: 'Mali-G52', software: false, float32Render: false } });
  });

  it('refuses a software renderer only when asked to', () => {
    const gl = () => fakeGl('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)', ['WEBGL_debug_renderer_info']);
    expect(probeWebGl(env({ webgl2: gl() })).ok).toBe(true);
    const r = probeWebGl(env({ webgl2: gl() }), { allowSoftware: false });
    expect(r.ok === false && r.reason).toMatch(/only a software WebGL renderer/);
  });
});

describe('isSoftwareName', () => {
  it.each([
    ['SwiftShader Device (Subzero)', true],
    ['llvmpipe (LLVM 15.0.6, 256 bits)', true],
    ['Microsoft Basic Render Driver', true],
    ['ANGLE (NVIDIA, NVIDIA GeForce RTX 4090 Direct3D11)', false],
    ['Apple M2', false],
  ])('%s -> %s', (name, expected) => {
    expect(isSoftwareName(name)).toBe(expected);
  });
});
