import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  decideStartup,
  diagnoseGpuEnvironment,
  formatProblems,
  parseNvidiaSmi,
  resolveAllowCpuFallback,
  versionFromFileName,
  type GpuDiagnosis,
} from './diagnose.js';
import { CUDA_DIR, HEALTHY_LIBS, fakeProbe } from './testing/fakes.js';

const without = (name: string, extra: Record<string, string> = {}) => {
  const libs = { ...HEALTHY_LIBS, ...extra };
  delete libs[name];
  return libs;
};

describe('diagnoseGpuEnvironment', () => {
  it('passes a machine with a GPU, driver, CUDA 11.2 and cuDNN 8.1', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS }));
    expect(d.problems).toEqual([]);
    expect(d.ok).toBe(true);
    expect(d.gpus).toEqual([{ name: 'NVIDIA A100-SXM4-40GB', driverVersion: '535.104.05', memoryMiB: 40960, computeCapability: '8.0' }]);
    expect(d.libraries.every((l) => l.loaded)).toBe(true);
    expect(d.libraries.find((l) => l.library.name === 'libcudnn.so.8')?.version).toBe('8.1.1');
    expect(d.libraries.find((l) => l.library.name === 'libcudart.so.11.0')?.version).toBe('11.2.152');
  });

  it('names a missing libcudnn.so.8 and the versions needed', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: without('libcudnn.so.8') }));
    expect(d.ok).toBe(false);
    expect(d.problems).toHaveLength(1);
    const [p] = d.problems;
    expect(p).toMatchObject({ code: 'missing-library', library: 'libcudnn.so.8' });
    expect(p!.message).toMatch(/libcudnn\.so\.8 \(cuDNN 8\) not found; tfjs-node-gpu 4\.x \(libtensorflow 2\.9\.1\) needs CUDA 11\.2 and cuDNN 8\.1/);
    expect(p!.fix).toMatch(/cuDNN 8\.1 for CUDA 11\.2/);
  });

  it('recognises a CUDA 12 machine as the wrong CUDA version, library by library', () => {
    const cuda12: Record<string, string> = { 'libcuda.so.1': HEALTHY_LIBS['libcuda.so.1']!, 'libcudnn.so.8': HEALTHY_LIBS['libcudnn.so.8']! };
    const onDisk = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcusolver.so.11', 'libcusparse.so.12'].map((n) => ({
      path: `/usr/local/cuda-12.4/lib64/${n}`,
      realPath: `/usr/local/cuda-12.4/lib64/${n}.0.0`,
    }));
    // cuRAND and cuSOLVER kept their sonames in CUDA 12, but these live in a folder the loader does not search.
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: cuda12, onDisk }));
    const byLib = Object.fromEntries(d.problems.map((p) => [p.library, p]));
    expect(byLib['libcudart.so.11.0']).toMatchObject({ code: 'wrong-version' });
    expect(byLib['libcudart.so.11.0']!.message).toMatch(/only libcudart\.so\.12 \(another version\) is installed, and tfjs-node-gpu 4\.x .* needs CUDA 11\.2/);
    expect(byLib['libcublas.so.11']!.code).toBe('wrong-version');
    expect(byLib['libcufft.so.10']!.message).toMatch(/libcufft\.so\.11/);
    expect(byLib['libcurand.so.10']).toMatchObject({ code: 'not-on-loader-path' });
    expect(byLib['libcurand.so.10']!.fix).toMatch(/LD_LIBRARY_PATH=\/usr\/local\/cuda-12\.4\/lib64/);
  });

  it('recognises cuDNN 9 as the wrong cuDNN version', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: without('libcudnn.so.8'), onDisk: [{ path: '/usr/lib/x86_64-linux-gnu/libcudnn.so.9', realPath: '/usr/lib/x86_64-linux-gnu/libcudnn.so.9.1.0' }] }));
    expect(d.problems).toEqual([expect.objectContaining({ code: 'wrong-version', library: 'libcudnn.so.8', message: expect.stringMatching(/only libcudnn\.so\.9/) })]);
  });

  it('says a right library in the wrong folder needs LD_LIBRARY_PATH, naming the folder', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: without('libcudart.so.11.0'), onDisk: [{ path: `${CUDA_DIR}/libcudart.so.11.0`, realPath: `${CUDA_DIR}/libcudart.so.11.2.152` }] }));
    expect(d.problems).toEqual([expect.objectContaining({ code: 'not-on-loader-path', library: 'libcudart.so.11.0' })]);
    expect(d.problems[0]!.message).toContain(`installed at ${CUDA_DIR}/libcudart.so.11.0`);
    expect(d.problems[0]!.fix).toContain(`export LD_LIBRARY_PATH=${CUDA_DIR}:$LD_LIBRARY_PATH`);
  });

  it('rejects cuDNN 8.0 and a CUDA 11.0 runtime as older than required', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({
      loadable: { ...HEALTHY_LIBS, 'libcudnn.so.8': '/usr/lib/x86_64-linux-gnu/libcudnn.so.8.0.5', 'libcudart.so.11.0': '/usr/local/cuda-11.0/lib64/libcudart.so.11.0.221' },
    }));
    expect(d.problems.map((p) => [p.code, p.library])).toEqual([
      ['library-too-old', 'libcudart.so.11.0'],
      ['library-too-old', 'libcudnn.so.8'],
    ]);
    expect(d.problems[1]!.message).toMatch(/version 8\.0\.5 .* older than the 8\.1/);
  });

  it('reports a library that exists but does not load, with the loader error', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: without('libcublas.so.11'), broken: { 'libcublas.so.11': `${CUDA_DIR}/libcublas.so.11.4.1.1043` } }));
    expect(d.problems).toEqual([expect.objectContaining({ code: 'broken-library', library: 'libcublas.so.11', message: expect.stringMatching(/exists but does not load: .*undefined symbol/) })]);
  });

  it('reports a missing driver without calling nvidia-smi', () => {
    const probe = fakeProbe({ loadable: without('libcuda.so.1') });
    const d = diagnoseGpuEnvironment(probe);
    expect(d.problems).toEqual([expect.objectContaining({ code: 'no-driver', library: 'libcuda.so.1' })]);
    expect(d.problems[0]!.fix).toMatch(/NVIDIA driver \(>= 450\.80\.02\).*--gpus all/);
    expect(probe.calls.smi).toBe(0);
  });

  it('reports a driver too old for CUDA 11.2', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS, nvidiaSmi: 'Tesla K80, 418.87.01, 11441, 3.7\n' }));
    expect(d.problems).toEqual([expect.objectContaining({ code: 'driver-too-old', message: expect.stringMatching(/418\.87\.01 \(Tesla K80\) is older than 450\.80\.02/) })]);
  });

  it('reports a GPU below compute capability 3.5', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS, nvidiaSmi: 'GeForce GTX 680, 470.82.01, 2048, 3.0\n' }));
    expect(d.problems.map((p) => p.code)).toEqual(['compute-capability']);
  });

  it('reports nvidia-smi listing no GPU', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS, nvidiaSmi: '' }));
    expect(d.problems.map((p) => p.code)).toEqual(['no-gpu']);
  });

  it('only notes a failing nvidia-smi when the driver library loads', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS, nvidiaSmi: { error: 'nvidia-smi not found' } }));
    expect(d.ok).toBe(true);
    expect(d.nvidiaSmiError).toBe('nvidia-smi not found');
  });

  it.each(['-1', '', ' ', 'NoDevFiles'])('reports CUDA_VISIBLE_DEVICES=%j hiding the GPUs', (value) => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS, env: { CUDA_VISIBLE_DEVICES: value } }));
    expect(d.problems.map((p) => p.code)).toEqual(['gpus-hidden']);
  });

  it('accepts CUDA_VISIBLE_DEVICES naming a GPU', () => {
    expect(diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS, env: { CUDA_VISIBLE_DEVICES: '0' } })).ok).toBe(true);
  });

  it('refuses platforms tfjs-node-gpu has no build for, before probing anything', () => {
    const probe = fakeProbe({ platform: 'darwin', arch: 'arm64' });
    const d = diagnoseGpuEnvironment(probe);
    expect(d.problems).toEqual([expect.objectContaining({ code: 'platform', message: expect.stringMatching(/no build for darwin-arm64/) })]);
    expect(probe.calls.load).toEqual([]);
  });

  it('checks Windows DLL names on win32', () => {
    const probe = fakeProbe({ platform: 'win32', loadable: { 'nvcuda.dll': 'C:/Windows/System32/nvcuda.dll' } });
    const d = diagnoseGpuEnvironment(probe);
    expect(probe.calls.load).toContain('cudart64_110.dll');
    expect(d.problems.map((p) => p.library)).toContain('cudnn64_8.dll');
  });
});

const healthy = (): GpuDiagnosis => diagnoseGpuEnvironment(fakeProbe({ loadable: HEALTHY_LIBS }));
const missingCudnn = (): GpuDiagnosis => diagnoseGpuEnvironment(fakeProbe({ loadable: without('libcudnn.so.8') }));

describe('decideStartup', () => {
  it('uses the GPU when the pre-check passes', () => {
    expect(decideStartup({ diagnosis: healthy(), allowCpuFallback: false })).toEqual({ action: 'gpu' });
    expect(decideStartup({ diagnosis: healthy(), gpuInUse: true, allowCpuFallback: false })).toEqual({ action: 'gpu' });
  });

  it('refuses, naming the library, when the GPU cannot be used and fallback is denied', () => {
    const d = decideStartup({ diagnosis: missingCudnn(), allowCpuFallback: false });
    expect(d.action).toBe('fail');
    if (d.action !== 'fail') return;
    expect(d.reason).toMatch(/^the GPU cannot be used \(tfjs-node-gpu 4\.x needs CUDA 11\.2 \+ cuDNN 8\.1, NVIDIA driver >= 450\.80\.02\): 1 problem\n  - libcudnn\.so\.8/);
    expect(d.fix).toMatch(/allowCpuFallback: true.*BEARS_ALLOW_CPU_FALLBACK=1/);
  });

  it('falls back with a loud warning only when allowed', () => {
    const d = decideStartup({ diagnosis: missingCudnn(), allowCpuFallback: true });
    expect(d.action).toBe('cpu-fallback');
    if (d.action !== 'cpu-fallback') return;
    expect(d.warning).toMatch(/!{78}\n\[bears\] node-gpu is running on the CPU, not the GPU: the GPU cannot be used/);
    expect(d.warning).toContain('libcudnn.so.8');
  });

  it('catches the silent CPU fallback: libraries load but TensorFlow made no GPU device', () => {
    const denied = decideStartup({ diagnosis: healthy(), gpuInUse: false, allowCpuFallback: false });
    expect(denied).toMatchObject({ action: 'fail', problems: [expect.objectContaining({ code: 'no-gpu-device' })] });
    if (denied.action === 'fail') expect(denied.reason).toMatch(/started without a GPU device .*nvidia-smi sees NVIDIA A100-SXM4-40GB \(driver 535\.104\.05\)/);
    expect(decideStartup({ diagnosis: healthy(), gpuInUse: false, allowCpuFallback: true }).action).toBe('cpu-fallback');
  });

  it('trusts a GPU TensorFlow did create, keeping pre-check findings as a warning', () => {
    const d = decideStartup({ diagnosis: missingCudnn(), gpuInUse: true, allowCpuFallback: false });
    expect(d).toEqual({ action: 'gpu', warning: expect.stringMatching(/runs on the GPU, but the GPU cannot be used.*libcudnn/s) });
  });
});

describe('formatProblems', () => {
  it('lists every problem and each distinct fix once', () => {
    const d = diagnoseGpuEnvironment(fakeProbe({ loadable: { 'libcuda.so.1': HEALTHY_LIBS['libcuda.so.1']! } }));
    const text = formatProblems(d.problems, d.requirements);
    expect(text.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(8);
    const fixes = text.split('\n').filter((l) => l.startsWith('  * '));
    expect(fixes).toHaveLength(2); // the CUDA 11.2 libraries, and cuDNN 8.1
    expect(fixes[0]).toMatch(/CUDA 11\.2 toolkit libraries/);
    expect(fixes[1]).toMatch(/cuDNN 8\.1 for CUDA 11\.2/);
  });
});

describe('resolveAllowCpuFallback', () => {
  it('lets the option win over the environment', () => {
    expect(resolveAllowCpuFallback(false, { BEARS_ALLOW_CPU_FALLBACK: '1' })).toBe(false);
    expect(resolveAllowCpuFallback(true, {})).toBe(true);
  });
  it.each([['1', true], ['true', true], ['YES', true], ['on', true], ['0', false], ['false', false], ['', false], [undefined, false]])(
    'BEARS_ALLOW_CPU_FALLBACK=%j -> %s',
    (value, expected) => {
      expect(resolveAllowCpuFallback(undefined, { BEARS_ALLOW_CPU_FALLBACK: value })).toBe(expected);
    },
  );
});

describe('parsers', () => {
  it('parses nvidia-smi CSV with and without compute_cap', () => {
    expect(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 550.54.15, 81559, 9.0\nTesla T4, 470.57.02, 15109\n\n')).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', driverVersion: '550.54.15', memoryMiB: 81559, computeCapability: '9.0' },
      { name: 'Tesla T4', driverVersion: '470.57.02', memoryMiB: 15109 },
    ]);
  });
  it('reads versions from library file names', () => {
    expect(versionFromFileName('/usr/lib/libcudnn.so.8.1.1', 'libcudnn.so')).toBe('8.1.1');
    expect(versionFromFileName('libcudart.so.11.0', 'libcudart.so')).toBe('11.0');
    expect(versionFromFileName('libcudart.so', 'libcudart.so')).toBeUndefined();
    expect(versionFromFileName('libcublasLt.so.11', 'libcublas.so')).toBeUndefined();
    expect(versionFromFileName('C:\\cuda\\bin\\cudart64_110.dll', 'cudart64_')).toBe('110');
  });
  it('compares versions numerically', () => {
    expect(compareVersions('8.10', '8.9')).toBe(1);
    expect(compareVersions('450.80.02', '450.80.2')).toBe(0);
    expect(compareVersions('11.0.221', '11.2')).toBe(-1);
  });
});
