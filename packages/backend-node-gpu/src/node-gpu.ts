import { BackendUnavailableError, codecForRuntime, detectRuntime, type Availability, type BackendCapabilities, type BackendPlugin } from '@bears/backend';
import { decideStartup, diagnoseGpuEnvironment, resolveAllowCpuFallback, type GpuDiagnosis } from './diagnose.js';
import { nodeModuleLoader, type ModuleLoader } from './loader.js';
import { systemProbe, type SystemProbe } from './probe.js';
import { INSTALL_NODE_GPU, requirementsSummary } from './requirements.js';
import { activateTensorflow, providerConflict, restoreBackend } from './tensorflow.js';

export const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
/** Above everything: when CUDA really works in Node, it is the fastest choice. */
export const NODE_GPU_PRIORITY = 200;

export interface NodeGpuBackendOptions {
  name?: string;
  priority?: number;
  /**
   * Run on the CPU (with a loud warning) when the GPU cannot be used, instead of refusing.
   * Default: BEARS_ALLOW_CPU_FALLBACK=1 allows it, otherwise refuse.
   */
  allowCpuFallback?: boolean;
  /** Injected for tests: the machine (libraries, nvidia-smi, env), the package loader, the warning sink. */
  probe?: () => SystemProbe;
  loader?: ModuleLoader;
  env?: Record<string, string | undefined>;
  warn?: (message: string) => void;
}

/** Builds a CUDA plugin on tfjs-node-gpu; `nodeGpuBackend` is the default instance importing the package registers. */
export function createNodeGpuBackend(options: NodeGpuBackendOptions = {}): BackendPlugin {
  const { name = 'node-gpu', priority = NODE_GPU_PRIORITY } = options;
  const env = options.env ?? process.env;
  const loader = options.loader ?? nodeModuleLoader();
  const probe = options.probe ?? (() => systemProbe(env));
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const allowCpuFallback = () => resolveAllowCpuFallback(options.allowCpuFallback, env);
  let diagnosis: GpuDiagnosis | undefined;
  let lastCheck: Availability | undefined;
  let mode: 'gpu' | 'cpu-fallback' | undefined;
  let version = '';
  let tfVersion = '';

  async function check(): Promise<Availability> {
    lastCheck = await runCheck();
    return lastCheck;
  }

  async function runCheck(): Promise<Availability> {
    if (detectRuntime() !== 'node') return { ok: false, reason: `tfjs-node-gpu runs in Node.js only; this is the '${detectRuntime()}' runtime` };
    const installed = loader.installedVersion(NODE_GPU_PACKAGE);
    if (installed === undefined) {
      return {
        ok: false,
        reason: `${NODE_GPU_PACKAGE} is not installed (it is an optional dependency: its install downloads libtensorflow and is skipped or fails without internet)`,
        install: `${INSTALL_NODE_GPU}  (needs ${requirementsSummary()})`,
      };
    }
    if (!installed.startsWith('4.')) {
      return { ok: false, reason: `${NODE_GPU_PACKAGE}@${installed} is installed; Bears needs 4.x to match @tensorflow/tfjs-core 4`, install: INSTALL_NODE_GPU };
    }
    version = installed;
    const conflict = providerConflict(NODE_GPU_PACKAGE);
    if (conflict) return { ok: false, reason: conflict };
    diagnosis = diagnoseGpuEnvironment(probe());
    const decision = decideStartup({ diagnosis, allowCpuFallback: allowCpuFallback() });
    if (decision.action === 'fail') return { ok: false, reason: decision.reason, install: decision.fix };
    return { ok: true };
  }

  return {
    name,
    priority,
    tfBackendName: 'tensorflow',
    isAvailable: check,
    async init() {
      const available = lastCheck ?? (await check());
      if (!available.ok) throw new BackendUnavailableError(name, available.reason, available.install);
      const { backend, previous } = await activateTensorflow(name, NODE_GPU_PACKAGE, loader, INSTALL_NODE_GPU);
      tfVersion = backend.binding?.TF_Version ?? '';
      // tfjs-node-gpu 4.x silently runs on the CPU when TensorFlow finds no usable GPU: ask it.
      const decision = decideStartup({ diagnosis: diagnosis!, gpuInUse: backend.isUsingGpuDevice === true, allowCpuFallback: allowCpuFallback() });
      if (decision.action === 'fail') {
        await restoreBackend(previous);
        throw new BackendUnavailableError(name, decision.reason, decision.fix);
      }
      if (decision.warning) warn(decision.warning);
      mode = decision.action;
    },
    capabilities(): BackendCapabilities {
      const gpus = diagnosis?.gpus.map((g) => `${g.name} (driver ${g.driverVersion}${g.computeCapability ? `, sm ${g.computeCapability}` : ''})`).join(', ');
      const lib = `tfjs-node-gpu ${version}${tfVersion ? ` (libtensorflow ${tfVersion})` : ''}`;
      return {
        runtime: 'node',
        accelerator: mode === 'gpu' ? 'gpu' : 'cpu',
        canTrain: true,
        details: mode === 'cpu-fallback' ? `${lib}, CPU FALLBACK: the GPU is not in use` : `${lib}, CUDA GPU${gpus ? `: ${gpus}` : ''}`,
      };
    },
    codec: () => codecForRuntime('node'),
  };
}

export const nodeGpuBackend: BackendPlugin = createNodeGpuBackend();
