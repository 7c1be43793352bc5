import type { LibraryFile, SystemProbe } from './probe.js';
import { gpuRequirementsFor, type GpuRequirements, type RequiredLibrary } from './requirements.js';

export interface GpuInfo {
  name: string;
  driverVersion: string;
  memoryMiB?: number;
  computeCapability?: string;
}

export type ProblemCode =
  | 'platform'
  | 'no-driver'
  | 'driver-too-old'
  | 'gpus-hidden'
  | 'no-gpu'
  | 'compute-capability'
  | 'missing-library'
  | 'wrong-version'
  | 'not-on-loader-path'
  | 'library-too-old'
  | 'broken-library'
  | 'no-gpu-device';

export interface GpuProblem {
  code: ProblemCode;
  /** The library concerned, by the exact name TensorFlow loads. */
  library?: string;
  message: string;
  fix: string;
}

export interface LibraryStatus {
  library: RequiredLibrary;
  loaded: boolean;
  /** Full version read from the real file name, where it carries one (libcudnn.so.8.1.1 -> 8.1.1). */
  version?: string;
  error?: string;
}

export interface GpuDiagnosis {
  ok: boolean;
  requirements?: GpuRequirements;
  gpus: GpuInfo[];
  /** Why nvidia-smi gave no answer, when it did not. */
  nvidiaSmiError?: string;
  libraries: LibraryStatus[];
  problems: GpuProblem[];
}

/** Compares dotted versions numerically ('8.10' > '8.9'); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The version a library file name carries after its family stem: 'libcudnn.so.8.1.0' -> '8.1.0', 'cudart64_110.dll' -> '110'. */
export function versionFromFileName(file: string, family: string): string | undefined {
  const name = file.split(/[\\/]/).pop() ?? file;
  if (!name.toLowerCase().startsWith(family.toLowerCase())) return undefined;
  const rest = name.slice(family.length).replace(/\.dll$/i, '').replace(/^\./, '');
  return /^\d+(\.\d+)*$/.test(rest) ? rest : undefined;
}

/** Parses `nvidia-smi --query-gpu=name,driver_version,memory.total[,compute_cap] --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(output: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    const [name, driverVersion, memory, cc] = line.split(',').map((s) => s.trim());
    if (!name || !driverVersion) continue;
    const memoryMiB = Number.parseFloat(memory ?? '');
    gpus.push({ name, driverVersion, ...(Number.isFinite(memoryMiB) ? { memoryMiB } : {}), ...(cc && /^\d+\.\d+$/.test(cc) ? { computeCapability: cc } : {}) });
  }
  return gpus;
}

function dirOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : '.';
}

function loaderFix(platform: string, dir: string): string {
  return platform === 'win32'
    ? `add ${dir} to PATH`
    : `export LD_LIBRARY_PATH=${dir}:$LD_LIBRARY_PATH (before starting node), or register it once with: echo ${dir} | sudo tee /etc/ld.so.conf.d/cuda-11-2.conf && sudo ldconfig`;
}

function installFix(req: GpuRequirements, lib: RequiredLibrary, platform: string): string {
  if (lib.family === 'libcuda.so' || lib.family === 'nvcuda') {
    return `install the NVIDIA driver (>= ${req.minDriver}) for your GPU; in a container, run it with the NVIDIA container toolkit (docker run --gpus all)`;
  }
  if (platform === 'win32') return `install ${lib.providedBy} and put its bin folder on PATH`;
  return lib.family === 'libcudnn.so'
    ? `install cuDNN ${req.cudnn} for CUDA ${req.cuda} (e.g. apt-get install libcudnn8=8.1.1.*-1+cuda11.2 from NVIDIA's CUDA repository, or the tarball from developer.nvidia.com/cudnn), then make its lib folder visible to the loader`
    : `install ${lib.providedBy} (it can sit beside a newer CUDA: e.g. apt-get install cuda-libraries-11-2 from NVIDIA's CUDA repository) and put /usr/local/cuda-11.2/lib64 on LD_LIBRARY_PATH`;
}

function checkLibrary(req: GpuRequirements, lib: RequiredLibrary, probe: SystemProbe): { status: LibraryStatus; problem?: GpuProblem } {
  const load = probe.loadLibrary(lib.name);
  const files = (): LibraryFile[] => probe.findLibraryFiles(lib.family);
  const base = (f: LibraryFile) => f.path.split(/[\\/]/).pop() ?? f.path;
  const needs = `tfjs-node-gpu ${req.tfjsNodeMajor}.x (libtensorflow ${req.libtensorflow}) needs CUDA ${req.cuda} and cuDNN ${req.cudnn}`;

  if (load.ok) {
    const exact = files().find((f) => base(f) === lib.name);
    const version = exact ? versionFromFileName(exact.realPath, lib.family) : undefined;
    const status: LibraryStatus = { library: lib, loaded: true, ...(version ? { version } : {}) };
    if (lib.minVersion && version && compareVersions(version, lib.minVersion) < 0) {
      return {
        status,
        problem: {
          code: 'library-too-old',
          library: lib.name,
          message: `${lib.name} (${lib.what}) is version ${version} (${exact!.realPath}), older than the ${lib.minVersion} that ${needs}`,
          fix: installFix(req, lib, probe.platform),
        },
      };
    }
    return { status };
  }

  const status: LibraryStatus = { library: lib, loaded: false, error: load.error };
  const found = files();
  const exact = found.filter((f) => base(f) === lib.name);
  if (!load.missing) {
    return {
      status,
      problem: { code: 'broken-library', library: lib.name, message: `${lib.name} (${lib.what}) exists but does not load: ${load.error}`, fix: installFix(req, lib, probe.platform) },
    };
  }
  if (lib.family === 'libcuda.so' || lib.family === 'nvcuda') {
    return {
      status,
      problem: { code: 'no-driver', library: lib.name, message: `${lib.name} (${lib.what}) not found: no NVIDIA driver is installed or visible`, fix: installFix(req, lib, probe.platform) },
    };
  }
  if (exact.length > 0) {
    const dir = dirOf(exact[0]!.path);
    return {
      status,
      problem: {
        code: 'not-on-loader-path',
        library: lib.name,
        message: `${lib.name} (${lib.what}) is installed at ${exact[0]!.path} but the dynamic loader does not search ${dir}`,
        fix: loaderFix(probe.platform, dir),
      },
    };
  }
  const others = [...new Set(found.map(base).filter((n) => n !== lib.name && versionFromFileName(n, lib.family)))];
  if (others.length > 0) {
    return {
      status,
      problem: {
        code: 'wrong-version',
        library: lib.name,
        message: `${lib.name} (${lib.what}) not found; only ${others.join(', ')} (another version) is installed, and ${needs}`,
        fix: installFix(req, lib, probe.platform),
      },
    };
  }
  return {
    status,
    problem: { code: 'missing-library', library: lib.name, message: `${lib.name} (${lib.what}) not found; ${needs}`, fix: installFix(req, lib, probe.platform) },
  };
}

/**
 * Checks, before libtensorflow is loaded, everything that makes tfjs-node-gpu silently run on
 * the CPU: platform, driver, visible GPUs, and each CUDA/cuDNN library it dlopens.
 */
export function diagnoseGpuEnvironment(probe: SystemProbe): GpuDiagnosis {
  const requirements = gpuRequirementsFor(probe.platform, probe.arch);
  if (!requirements) {
    return {
      ok: false,
      gpus: [],
      libraries: [],
      problems: [
        {
          code: 'platform',
          message: `tfjs-node-gpu has no build for ${probe.platform}-${probe.arch} (only Linux x64 and Windows x64 with an NVIDIA GPU)`,
          fix: "use the 'node-cpu' backend (@tensorflow/tfjs-node) or 'wasm' (@bears/backend-wasm) here",
        },
      ],
    };
  }
  const problems: GpuProblem[] = [];
  const visible = probe.env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim().startsWith('-1') || /^nodevfiles$/i.test(visible.trim()))) {
    problems.push({
      code: 'gpus-hidden',
      message: `CUDA_VISIBLE_DEVICES=${JSON.stringify(visible)} hides every GPU from CUDA`,
      fix: 'unset CUDA_VISIBLE_DEVICES, or set it to the GPU index to use (e.g. CUDA_VISIBLE_DEVICES=0)',
    });
  }

  const libraries: LibraryStatus[] = [];
  for (const lib of requirements.libraries) {
    const { status, problem } = checkLibrary(requirements, lib, probe);
    libraries.push(status);
    if (problem) problems.push(problem);
  }

  const driverPresent = libraries[0]?.loaded ?? false;
  let gpus: GpuInfo[] = [];
  let nvidiaSmiError: string | undefined;
  if (driverPresent) {
    const smi = probe.nvidiaSmi();
    if (smi.ok) {
      gpus = parseNvidiaSmi(smi.output);
      if (gpus.length === 0) {
        problems.push({ code: 'no-gpu', message: 'nvidia-smi lists no GPU', fix: 'check that the GPU is installed and the driver sees it (nvidia-smi); in a container pass --gpus all' });
      }
      for (const gpu of gpus) {
        if (compareVersions(gpu.driverVersion, requirements.minDriver) < 0) {
          problems.push({
            code: 'driver-too-old',
            message: `NVIDIA driver ${gpu.driverVersion} (${gpu.name}) is older than ${requirements.minDriver}, the oldest that runs CUDA ${requirements.cuda}`,
            fix: `upgrade the NVIDIA driver to ${requirements.minDriver} or newer`,
          });
          break;
        }
      }
      const old = gpus.find((g) => g.computeCapability && compareVersions(g.computeCapability, '3.5') < 0);
      if (old) {
        problems.push({
          code: 'compute-capability',
          message: `${old.name} has compute capability ${old.computeCapability}; TensorFlow ${requirements.libtensorflow} needs 3.5 or newer`,
          fix: "use a newer GPU, or the 'node-cpu'/'wasm' backend",
        });
      }
    } else {
      // The driver library loads, so a failing nvidia-smi is only noted; the post-load device check decides.
      nvidiaSmiError = smi.error;
    }
  }
  return { ok: problems.length === 0, requirements, gpus, ...(nvidiaSmiError ? { nvidiaSmiError } : {}), libraries, problems };
}

/** The problem to report when libtensorflow started but created no GPU device. */
export function noGpuDeviceProblem(diagnosis: GpuDiagnosis): GpuProblem {
  const seen = diagnosis.gpus.length ? `nvidia-smi sees ${diagnosis.gpus.map((g) => `${g.name} (driver ${g.driverVersion})`).join(', ')}` : diagnosis.nvidiaSmiError ? `nvidia-smi: ${diagnosis.nvidiaSmiError}` : 'no GPU information';
  return {
    code: 'no-gpu-device',
    message: `libtensorflow started without a GPU device although the CUDA libraries load (${seen}); TensorFlow's own log above names the cause (look for "Could not load dynamic library" or "Ignoring visible gpu device")`,
    fix: 'run nvidia-smi to check the GPU is free and not in exclusive-process mode; check the driver supports CUDA 11.2; set TF_CPP_MIN_LOG_LEVEL=0 to see all of TensorFlow\'s start-up messages',
  };
}

/** A readable multi-line account of what is wrong, then each distinct fix once. */
export function formatProblems(problems: GpuProblem[], requirements: GpuRequirements | undefined = undefined): string {
  const needs = requirements ? ` (tfjs-node-gpu ${requirements.tfjsNodeMajor}.x needs CUDA ${requirements.cuda} + cuDNN ${requirements.cudnn}, NVIDIA driver >= ${requirements.minDriver})` : '';
  const head = `the GPU cannot be used${needs}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  const fixes = [...new Set(problems.map((p) => p.fix))];
  return [head, ...problems.map((p) => `  - ${p.message}`), `  how to fix:`, ...fixes.map((f) => `  * ${f}`)].join('\n');
}

export type StartupDecision =
  | { action: 'gpu'; warning?: string }
  | { action: 'cpu-fallback'; warning: string; problems: GpuProblem[] }
  | { action: 'fail'; reason: string; fix: string; problems: GpuProblem[] };

/**
 * The one place that decides between the GPU, a loud CPU fallback (only when allowed), and a
 * refusal. `gpuInUse` is undefined before libtensorflow is loaded, then what it reported.
 */
export function decideStartup(input: { diagnosis: GpuDiagnosis; gpuInUse?: boolean; allowCpuFallback: boolean }): StartupDecision {
  const problems = [...input.diagnosis.problems];
  if (input.gpuInUse === true) {
    // TensorFlow did create a GPU device: what the pre-check found is worth a warning, not a refusal.
    return problems.length ? { action: 'gpu', warning: `[bears] node-gpu runs on the GPU, but ${formatProblems(problems, input.diagnosis.requirements)}` } : { action: 'gpu' };
  }
  if (input.gpuInUse === false && problems.length === 0) problems.push(noGpuDeviceProblem(input.diagnosis));
  if (problems.length === 0) return { action: 'gpu' };
  const text = formatProblems(problems, input.diagnosis.requirements);
  if (input.allowCpuFallback) {
    const bar = '!'.repeat(78);
    return {
      action: 'cpu-fallback',
      problems,
      warning: `${bar}\n[bears] node-gpu is running on the CPU, not the GPU: ${text}\n[bears] Continuing because allowCpuFallback / BEARS_ALLOW_CPU_FALLBACK=1 allows it. Training will be slow.\n${bar}`,
    };
  }
  return {
    action: 'fail',
    problems,
    reason: text,
    fix: "fix the problems above, or allow running on the CPU with createNodeGpuBackend({ allowCpuFallback: true }) or BEARS_ALLOW_CPU_FALLBACK=1 (or pick 'node-cpu'/'wasm')",
  };
}

/** `allowCpuFallback` option wins; otherwise BEARS_ALLOW_CPU_FALLBACK=1/true/yes/on allows it. Default: refuse. */
export function resolveAllowCpuFallback(option: boolean | undefined, env: Record<string, string | undefined>): boolean {
  if (option !== undefined) return option;
  return /^(1|true|yes|on)$/i.test((env.BEARS_ALLOW_CPU_FALLBACK ?? '').trim());
}
