import type { Runtime } from '@bears/backend';

/** The parts of a WebGPU adapter the probe reads (real GPUAdapter objects fit). */
export interface GpuAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  /** Older Chromium put the flag on the adapter itself. */
  readonly isFallbackAdapter?: boolean;
}

/** The part of `navigator.gpu` the probe calls. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU rasteriser (SwiftShader, llvmpipe, WARP): it works but is slower than wasm. */
  software: boolean;
}

export type ProbeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface WebGpuEnvironment {
  /** `navigator.gpu`, or undefined where the runtime has none. */
  gpu: GpuLike | undefined;
  /** `isSecureContext`: WebGPU is only exposed on https and localhost pages. */
  secureContext: boolean | undefined;
  runtime: Runtime;
}

export interface ProbeOptions {
  /** Accept a software adapter (SwiftShader). Default true, as tfjs does. */
  allowSoftware?: boolean;
  powerPreference?: 'low-power' | 'high-performance';
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render|warp/i;

/** True for the software rasterisers browsers fall back to when no usable GPU exists. */
export function isSoftwareName(name: string): boolean {
  return SOFTWARE_RENDERER.test(name);
}

/** Reads what the current global scope offers WebGPU (browser page or Web Worker). */
export function currentWebGpuEnvironment(runtime: Runtime): WebGpuEnvironment {
  const g = globalThis as { navigator?: { gpu?: GpuLike }; isSecureContext?: boolean };
  return { gpu: g.navigator?.gpu, secureContext: g.isSecureContext, runtime };
}

/**
 * Asks for a real adapter: `navigator.gpu` existing is not enough (Chrome exposes it on
 * machines whose GPU is blocklisted, then `requestAdapter()` resolves to null).
 */
export async function probeWebGpu(env: WebGpuEnvironment, options: ProbeOptions = {}): Promise<ProbeResult<AdapterSummary>> {
  const { allowSoftware = true, powerPreference = 'high-performance' } = options;
  if (env.runtime !== 'browser') {
    return { ok: false, reason: `WebGPU runs in browsers and Web Workers only; this is the '${env.runtime}' runtime (no navigator.gpu)` };
  }
  if (!env.gpu) {
    if (env.secureContext === false) return { ok: false, reason: 'navigator.gpu is missing because the page is not a secure context: serve it over https or from localhost' };
    return { ok: false, reason: 'navigator.gpu is missing: this browser has no WebGPU (Chrome/Edge 113+, Safari 26+, Firefox 141+ on Windows) or it is disabled' };
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await env.gpu.requestAdapter({ powerPreference });
  } catch (err) {
    return { ok: false, reason: `navigator.gpu.requestAdapter() failed: ${(err as Error)?.message ?? String(err)}` };
  }
  if (!adapter) {
    return { ok: false, reason: 'navigator.gpu.requestAdapter() returned no adapter: the GPU is blocklisted or WebGPU is disabled (see chrome://gpu)' };
  }
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const description = info.description || info.device || '';
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || isSoftwareName(`${vendor} ${architecture} ${description}`);
  if (software && !allowSoftware) {
    return { ok: false, reason: `only a software WebGPU adapter (${architecture || vendor || 'fallback adapter'}) is available and allowSoftware is false` };
  }
  return { ok: true, value: { vendor, architecture, description, software } };
}

/** The subset of a WebGL context the probe uses. */
export interface GlLike {
  getParameter(p: number): unknown;
  getExtension(name: string): unknown;
  readonly RENDERER: number;
  readonly VERSION: number;
}

export interface WebGlEnvironment {
  runtime: Runtime;
  /** Creates a context of the given kind, or returns null (no canvas, or WebGL disabled). */
  getContext(kind: 'webgl2' | 'webgl'): GlLike | null;
}

export interface WebGlInfo {
  version: 1 | 2;
  renderer: string;
  software: boolean;
  /** Whether float32 textures can be rendered to (training needs full precision). */
  float32Render: boolean;
}

/** Reads what the current global scope offers WebGL: OffscreenCanvas (pages and workers) or a DOM canvas. */
export function currentWebGlEnvironment(runtime: Runtime): WebGlEnvironment {
  return {
    runtime,
    getContext(kind) {
      const g = globalThis as { OffscreenCanvas?: typeof OffscreenCanvas; document?: Document };
      let canvas: OffscreenCanvas | HTMLCanvasElement | undefined;
      if (typeof g.OffscreenCanvas === 'function') canvas = new g.OffscreenCanvas(1, 1);
      else if (g.document) canvas = g.document.createElement('canvas');
      if (!canvas) return null;
      try {
        return (canvas.getContext(kind, { failIfMajorPerformanceCaveat: false }) as unknown as GlLike | null) ?? null;
      } catch {
        return null;
      }
    },
  };
}

const UNMASKED_RENDERER_WEBGL = 0x9246;

/** Creates a throwaway context to see whether tfjs-backend-webgl can start, and on what. */
export function probeWebGl(env: WebGlEnvironment, options: Pick<ProbeOptions, 'allowSoftware'> = {}): ProbeResult<WebGlInfo> {
  const { allowSoftware = true } = options;
  if (env.runtime !== 'browser') {
    return { ok: false, reason: `WebGL runs in browsers and Web Workers only; this is the '${env.runtime}' runtime (no canvas to draw on)` };
  }
  let version: 1 | 2 = 2;
  let gl = env.getContext('webgl2');
  if (!gl) {
    version = 1;
    gl = env.getContext('webgl');
  }
  if (!gl) return { ok: false, reason: 'no WebGL context could be created: WebGL is disabled, blocklisted or unsupported here' };
  try {
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String((debug ? gl.getParameter(UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)) ?? 'unknown');
    const software = isSoftwareName(renderer);
    const float32Render = version === 2 ? Boolean(gl.getExtension('EXT_color_buffer_float')) : Boolean(gl.getExtension('WEBGL_color_buffer_float'));
    if (software && !allowSoftware) {
      return { ok: false, reason: `only a software WebGL renderer (${renderer}) is available and allowSoftware is false` };
    }
    return { ok: true, value: { version, renderer, software, float32Render } };
  } finally {
    // Browsers cap live contexts (about 16); give this one back at once.
    (gl.getExtension('WEBGL_lose_context') as { loseContext(): void } | null)?.loseContext();
  }
}
