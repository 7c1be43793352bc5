import { registerBackend } from '@bears/backend';
import { nodeCpuBackend } from './node-cpu.js';
import { nodeGpuBackend } from './node-gpu.js';

// Registering loads nothing: tfjs-node(-gpu) is imported only when a plugin is started, so a
// missing optional package never breaks importing this one.
registerBackend(nodeGpuBackend);
registerBackend(nodeCpuBackend);

export { createNodeGpuBackend, nodeGpuBackend, NODE_GPU_PACKAGE, NODE_GPU_PRIORITY, type NodeGpuBackendOptions } from './node-gpu.js';
export { createNodeCpuBackend, nodeCpuBackend, NODE_CPU_PACKAGE, NODE_CPU_PRIORITY, type NodeCpuBackendOptions } from './node-cpu.js';
export {
  compareVersions,
  decideStartup,
  diagnoseGpuEnvironment,
  formatProblems,
  noGpuDeviceProblem,
  parseNvidiaSmi,
  resolveAllowCpuFallback,
  versionFromFileName,
  type GpuDiagnosis,
  type GpuInfo,
  type GpuProblem,
  type LibraryStatus,
  type ProblemCode,
  type StartupDecision,
} from './diagnose.js';
export { libraryDirs, loadLibraryWithNode, parseLdconfig, systemProbe, type LibraryFile, type LoadResult, type NvidiaSmiResult, type SystemProbe } from './probe.js';
export { nodeModuleLoader, type ModuleLoader } from './loader.js';
export {
  gpuRequirementsFor,
  INSTALL_NODE_CPU,
  INSTALL_NODE_GPU,
  LINUX_X64_REQUIREMENTS,
  requirementsSummary,
  TFJS_NODE_GPU_VERSION,
  WIN32_X64_REQUIREMENTS,
  type GpuRequirements,
  type RequiredLibrary,
} from './requirements.js';
export { tensorflowProvider } from './tensorflow.js';
