import * as tf from '@tensorflow/tfjs-core';
import type { ModuleLoader } from '../loader.js';
import type { LibraryFile, SystemProbe } from '../probe.js';

export interface FakeMachine {
  platform?: string;
  arch?: string;
  env?: Record<string, string | undefined>;
  /** Libraries the loader finds, by requested name -> real file it resolves to. */
  loadable?: Record<string, string>;
  /** Libraries that exist but fail to load (wrong ELF class, undefined symbol). */
  broken?: Record<string, string>;
  /** Extra files on disk the loader cannot see (other versions, other folders). */
  onDisk?: LibraryFile[];
  nvidiaSmi?: string | { error: string };
}

/** Folder a healthy CUDA 11.2 install uses in these fakes. */
export const CUDA_DIR = '/usr/local/cuda-11.2/lib64';

export const HEALTHY_LIBS: Record<string, string> = {
  'libcuda.so.1': '/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05',
  'libcudart.so.11.0': `${CUDA_DIR}/libcudart.so.11.2.152`,
  'libcublas.so.11': `${CUDA_DIR}/libcublas.so.11.4.1.1043`,
  'libcublasLt.so.11': `${CUDA_DIR}/libcublasLt.so.11.4.1.1043`,
  'libcufft.so.10': `${CUDA_DIR}/libcufft.so.10.4.0.135`,
  'libcurand.so.10': `${CUDA_DIR}/libcurand.so.10.2.3.135`,
  'libcusolver.so.11': `${CUDA_DIR}/libcusolver.so.11.1.0.135`,
  'libcusparse.so.11': `${CUDA_DIR}/libcusparse.so.11.4.0.135`,
  'libcudnn.so.8': '/usr/lib/x86_64-linux-gnu/libcudnn.so.8.1.1',
};

export const A100_SMI = 'NVIDIA A100-SXM4-40GB, 535.104.05, 40960, 8.0\n';

function dir(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** A SystemProbe over an imaginary machine; counts calls so tests can see what was (not) touched. */
export function fakeProbe(m: FakeMachine): SystemProbe & { calls: { load: string[]; smi: number } } {
  const loadable = m.loadable ?? {};
  const broken = m.broken ?? {};
  const files: LibraryFile[] = [
    ...Object.entries(loadable).map(([name, real]) => ({ path: `${dir(real)}/${name}`, realPath: real })),
    ...Object.entries(broken).map(([name, real]) => ({ path: `${dir(real)}/${name}`, realPath: real })),
    ...(m.onDisk ?? []),
  ];
  const calls = { load: [] as string[], smi: 0 };
  return {
    calls,
    platform: m.platform ?? 'linux',
    arch: m.arch ?? 'x64',
    env: m.env ?? {},
    loadLibrary(name) {
      calls.load.push(name);
      if (loadable[name]) return { ok: true };
      if (broken[name]) return { ok: false, missing: false, error: `${broken[name]}: undefined symbol: cudaGetDriverEntryPoint, version libcudart.so.11.0` };
      return { ok: false, missing: true, error: `${name}: cannot open shared object file: No such file or directory` };
    },
    findLibraryFiles(family) {
      return files.filter((f) => (f.path.split('/').pop() ?? '').startsWith(family));
    },
    nvidiaSmi() {
      calls.smi++;
      const s = m.nvidiaSmi ?? A100_SMI;
      return typeof s === 'string' ? { ok: true, output: s } : { ok: false, error: s.error };
    },
  };
}

/**
 * A stand-in for @tensorflow/tfjs-node(-gpu): "importing" it registers a 'tensorflow' tfjs
 * backend (the cpu kernels under that name) that reports `isUsingGpuDevice` as told.
 */
export function fakeTfjsNode(opts: { versions?: Record<string, string>; isUsingGpuDevice?: boolean; loadError?: Error }): ModuleLoader & { loaded: string[] } {
  const loaded: string[] = [];
  return {
    loaded,
    installedVersion: (name) => opts.versions?.[name],
    async load(name) {
      loaded.push(name);
      if (opts.loadError) throw opts.loadError;
      const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
      for (const k of tf.getKernelsForBackend('cpu')) {
        if (!tf.getKernel(k.kernelName, 'tensorflow')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
      }
      tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), {
        firstUse: false, // silences tfjs-backend-cpu's "install the node backend" banner
        isGPUPackage: name.endsWith('-gpu'),
        isUsingGpuDevice: opts.isUsingGpuDevice ?? false,
        binding: { TF_Version: '2.9.1' },
      }), 3);
      await tf.setBackend('tensorflow');
      return {};
    },
  };
}

/** Undoes fakeTfjsNode. */
export function removeFakeTfjsNode(): void {
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
  for (const k of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(k.kernelName, 'tensorflow');
}
