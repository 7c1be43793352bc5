import { BackendUnavailableError, codecForRuntime, detectRuntime, type Availability, type BackendCapabilities, type BackendPlugin } from '@bears/backend';
import { nodeModuleLoader, type ModuleLoader } from './loader.js';
import { INSTALL_NODE_CPU } from './requirements.js';
import { activateTensorflow, providerConflict } from './tensorflow.js';

export const NODE_CPU_PACKAGE = '@tensorflow/tfjs-node';
/** Above the embedded wasm default (10): libtensorflow's CPU kernels (oneDNN, all cores) are faster where they install. */
export const NODE_CPU_PRIORITY = 20;

export interface NodeCpuBackendOptions {
  name?: string;
  priority?: number;
  loader?: ModuleLoader;
}

/** Builds a plugin on tfjs-node (libtensorflow on the CPU); `nodeCpuBackend` is the registered default instance. */
export function createNodeCpuBackend(options: NodeCpuBackendOptions = {}): BackendPlugin {
  const { name = 'node-cpu', priority = NODE_CPU_PRIORITY } = options;
  const loader = options.loader ?? nodeModuleLoader();
  let version = '';
  let tfVersion = '';
  let checked = false;

  async function check(): Promise<Availability> {
    if (detectRuntime() !== 'node') return { ok: false, reason: `tfjs-node runs in Node.js only; this is the '${detectRuntime()}' runtime` };
    const installed = loader.installedVersion(NODE_CPU_PACKAGE);
    if (installed === undefined) {
      return {
        ok: false,
        reason: `${NODE_CPU_PACKAGE} is not installed (optional: its install downloads libtensorflow, so it needs internet; prebuilt for Linux x64/arm64, macOS and Windows x64)`,
        install: INSTALL_NODE_CPU,
      };
    }
    if (!installed.startsWith('4.')) return { ok: false, reason: `${NODE_CPU_PACKAGE}@${installed} is installed; Bears needs 4.x to match @tensorflow/tfjs-core 4`, install: INSTALL_NODE_CPU };
    version = installed;
    const conflict = providerConflict(NODE_CPU_PACKAGE);
    if (conflict) return { ok: false, reason: conflict };
    checked = true;
    return { ok: true };
  }

  return {
    name,
    priority,
    tfBackendName: 'tensorflow',
    isAvailable: check,
    async init() {
      if (!checked) {
        const available = await check();
        if (!available.ok) throw new BackendUnavailableError(name, available.reason, available.install);
      }
      const { backend } = await activateTensorflow(name, NODE_CPU_PACKAGE, loader, INSTALL_NODE_CPU);
      tfVersion = backend.binding?.TF_Version ?? '';
    },
    capabilities(): BackendCapabilities {
      return { runtime: 'node', accelerator: 'cpu', canTrain: true, details: `tfjs-node ${version}${tfVersion ? ` (libtensorflow ${tfVersion})` : ''}, CPU` };
    },
    codec: () => codecForRuntime('node'),
  };
}

export const nodeCpuBackend: BackendPlugin = createNodeCpuBackend();
