/** One shared library libtensorflow's GPU build opens at start-up. */
export interface RequiredLibrary {
  /** The exact name the dynamic loader is asked for (soname on Linux, DLL name on Windows). */
  name: string;
  /** File-name stem shared by every version, to spot a wrong version on disk ('libcudart.so'). */
  family: string;
  /** What it is, for messages: 'CUDA runtime 11.x'. */
  what: string;
  /** For libraries whose real file carries the full version (libcudnn.so.8.1.0): the oldest that works. */
  minVersion?: string;
  /** The package a user installs to get it. */
  providedBy: string;
}

export interface GpuRequirements {
  /** tfjs-node-gpu major version these requirements are for. */
  tfjsNodeMajor: number;
  libtensorflow: string;
  cuda: string;
  cudnn: string;
  /** Oldest NVIDIA driver that runs CUDA 11.2 code (through CUDA 11 minor-version compatibility). */
  minDriver: string;
  libraries: RequiredLibrary[];
}

export const TFJS_NODE_GPU_VERSION = '4.22.0';
export const INSTALL_NODE_GPU = `npm install @tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}`;
export const INSTALL_NODE_CPU = `npm install @tensorflow/tfjs-node@${TFJS_NODE_GPU_VERSION}`;

const linuxCuda = (name: string, family: string, what: string, minVersion?: string): RequiredLibrary => ({
  name,
  family,
  what,
  minVersion,
  providedBy: family.startsWith('libcudnn') ? 'cuDNN 8.1 for CUDA 11.2 (libcudnn8)' : family === 'libcuda.so' ? 'the NVIDIA driver' : 'the CUDA 11.2 toolkit libraries',
});

/**
 * tfjs-node-gpu 4.x links libtensorflow 2.9.1, built for CUDA 11.2 and cuDNN 8.1; TensorFlow
 * dlopens these at start-up and silently stays on the CPU if any is missing.
 */
export const LINUX_X64_REQUIREMENTS: GpuRequirements = {
  tfjsNodeMajor: 4,
  libtensorflow: '2.9.1',
  cuda: '11.2',
  cudnn: '8.1',
  minDriver: '450.80.02',
  libraries: [
    linuxCuda('libcuda.so.1', 'libcuda.so', 'NVIDIA driver library'),
    linuxCuda('libcudart.so.11.0', 'libcudart.so', 'CUDA 11 runtime', '11.2'),
    linuxCuda('libcublas.so.11', 'libcublas.so', 'cuBLAS (CUDA 11)'),
    linuxCuda('libcublasLt.so.11', 'libcublasLt.so', 'cuBLASLt (CUDA 11)'),
    linuxCuda('libcufft.so.10', 'libcufft.so', 'cuFFT (CUDA 11)'),
    linuxCuda('libcurand.so.10', 'libcurand.so', 'cuRAND (CUDA 11)'),
    linuxCuda('libcusolver.so.11', 'libcusolver.so', 'cuSOLVER (CUDA 11)'),
    linuxCuda('libcusparse.so.11', 'libcusparse.so', 'cuSPARSE (CUDA 11)'),
    linuxCuda('libcudnn.so.8', 'libcudnn.so', 'cuDNN 8', '8.1'),
  ],
};

const winCuda = (name: string, family: string, what: string): RequiredLibrary => ({
  name,
  family,
  what,
  providedBy: family.startsWith('cudnn') ? 'cuDNN 8.1 for CUDA 11.2' : family === 'nvcuda' ? 'the NVIDIA driver' : 'the CUDA 11.2 toolkit',
});

export const WIN32_X64_REQUIREMENTS: GpuRequirements = {
  tfjsNodeMajor: 4,
  libtensorflow: '2.9.1',
  cuda: '11.2',
  cudnn: '8.1',
  minDriver: '452.39',
  libraries: [
    winCuda('nvcuda.dll', 'nvcuda', 'NVIDIA driver library'),
    winCuda('cudart64_110.dll', 'cudart64_', 'CUDA 11 runtime'),
    winCuda('cublas64_11.dll', 'cublas64_', 'cuBLAS (CUDA 11)'),
    winCuda('cublasLt64_11.dll', 'cublasLt64_', 'cuBLASLt (CUDA 11)'),
    winCuda('cufft64_10.dll', 'cufft64_', 'cuFFT (CUDA 11)'),
    winCuda('curand64_10.dll', 'curand64_', 'cuRAND (CUDA 11)'),
    winCuda('cusolver64_11.dll', 'cusolver64_', 'cuSOLVER (CUDA 11)'),
    winCuda('cusparse64_11.dll', 'cusparse64_', 'cuSPARSE (CUDA 11)'),
    winCuda('cudnn64_8.dll', 'cudnn64_', 'cuDNN 8'),
  ],
};

/** The requirements for a platform, or undefined where tfjs-node-gpu has no build. */
export function gpuRequirementsFor(platform: string, arch: string): GpuRequirements | undefined {
  if (arch !== 'x64') return undefined;
  if (platform === 'linux') return LINUX_X64_REQUIREMENTS;
  if (platform === 'win32') return WIN32_X64_REQUIREMENTS;
  return undefined;
}

/** One line naming everything a CUDA machine needs, for install hints. */
export function requirementsSummary(req: GpuRequirements = LINUX_X64_REQUIREMENTS): string {
  return `CUDA ${req.cuda} and cuDNN ${req.cudnn} (libtensorflow ${req.libtensorflow}), NVIDIA driver >= ${req.minDriver}, on Linux x64 or Windows x64`;
}
