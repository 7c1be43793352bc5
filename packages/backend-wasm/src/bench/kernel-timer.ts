import * as tf from '@tensorflow/tfjs-core';

/**
 * Wraps every kernel of a tfjs backend to time it. Only outermost calls count, so a composed
 * kernel's inner XNNPACK calls are charged to it. Valid for synchronous backends (cpu, wasm).
 */
export function timeKernels(backendName: string): { totals: Map<string, { ms: number; calls: number }>; restore(): void } {
  const totals = new Map<string, { ms: number; calls: number }>();
  const originals: tf.KernelConfig[] = [];
  let depth = 0;
  for (const config of tf.getKernelsForBackend(backendName)) {
    originals.push(config);
    const inner = config.kernelFunc;
    const wrapped: tf.KernelFunc = (args) => {
      if (depth > 0) return inner(args);
      depth++;
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        depth--;
        const entry = totals.get(config.kernelName) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - t0;
        entry.calls++;
        totals.set(config.kernelName, entry);
      }
    };
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: wrapped, setupFunc: undefined });
  }
  return {
    totals,
    restore() {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel({ ...config, setupFunc: undefined });
      }
    },
  };
}
