// The model worker: picks the backend, loads the exported model once and runs inference (and,
// on the Train page, the learner), so the page never freezes.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerBackend, useBackend, type ActiveBackend } from '@bears/backend';
import '@bears/backend-wasm';
import { createWebGlBackend, createWebGpuBackend } from '@bears/backend-webgpu';
import { loadExport, type ExportedModel } from '@bears/learner';
import type { BackendInfo, Request, WorkerMessage } from './protocol.js';
import { serveWasmFromAssets } from './wasm-paths.js';

serveWasmFromAssets();

let active: ActiveBackend | undefined;
// The learner is loaded only when the Train page asks for it.
const trainer = () => import('./train.js');
let loaded: ExportedModel | undefined;

function post(msg: WorkerMessage, transfer: Transferable[] = []): void {
  (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(msg, transfer);
}

async function init(asked: BackendInfo['asked']): Promise<BackendInfo> {
  // Under 'auto' a software GPU (SwiftShader, llvmpipe) is passed over: wasm is faster on a CPU.
  // Asked for by name, it is used as asked.
  const allowSoftware = asked !== 'auto';
  registerBackend(createWebGpuBackend({ allowSoftware }));
  registerBackend(createWebGlBackend({ allowSoftware }));
  active = await useBackend(asked, { env: null });
  const wasm = active.name === 'wasm';
  return {
    name: active.name,
    asked,
    skipped: active.skipped,
    details: active.capabilities.details,
    accelerator: active.capabilities.accelerator,
    canTrain: active.capabilities.canTrain,
    crossOriginIsolated: self.crossOriginIsolated,
    ...(wasm ? wasmInfo() : {}),
  };
}

function wasmInfo(): Pick<BackendInfo, 'wasmThreadedBuild' | 'wasmThreads' | 'wasmSimd'> {
  const threaded = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return { wasmThreadedBuild: threaded, wasmThreads: threaded ? getThreadsCount() : 1, wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') };
}

function needBackend(): ActiveBackend {
  if (!active) throw new Error('the worker has no backend yet: send init first');
  return active;
}

async function handle(req: Request, id: number): Promise<{ result: unknown; transfer?: Transferable[] }> {
  switch (req.type) {
    case 'init':
      return { result: await init(req.backend) };
    case 'load': {
      const t0 = performance.now();
      loaded?.dispose();
      loaded = undefined;
      loaded = await loadExport(req.url, { backend: needBackend() });
      // One run on a blank image compiles the GPU shaders now, so photo times are the model's own.
      const s = loaded.inputSize;
      await loaded.predict({ data: new Uint8Array(s * s * 3), width: s, height: s });
      return { result: { classes: loaded.classes, inputSize: loaded.inputSize, arch: loaded.metadata.arch, validation: loaded.metadata.validation, ms: performance.now() - t0 } };
    }
    case 'predict': {
      const t0 = performance.now();
      if (req.model === 'trained') return { result: { ...(await (await trainer()).predictTrained(req.bytes)), ms: performance.now() - t0 } };
      if (!loaded) throw new Error('no model is loaded yet');
      const p = await loaded.predict(req.bytes);
      return { result: { ...p, classes: loaded.classes, ms: performance.now() - t0 } };
    }
    case 'train': {
      const result = await (await trainer()).trainHead(needBackend(), req.items, req.options, (progress) => post({ id, progress }));
      return { result };
    }
    case 'export': {
      const files = await (await trainer()).exportTrained();
      return { result: { files }, transfer: [...new Set(Object.values(files).map((b) => b.buffer as ArrayBuffer))] };
    }
  }
}

self.onmessage = async (e: MessageEvent<Request & { id: number }>) => {
  const { id, ...req } = e.data;
  try {
    const { result, transfer } = await handle(req as Request, id);
    post({ id, ok: true, result }, transfer);
  } catch (err) {
    post({ id, ok: false, error: (err as Error)?.message ?? String(err) });
  }
};
