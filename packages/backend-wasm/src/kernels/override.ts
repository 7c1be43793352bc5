import * as tf from '@tensorflow/tfjs-core';

/** tfjs-backend-wasm's own kernels that Bears replaces, kept so fast paths can fall back to them. */
const originals = new Map<string, tf.KernelFunc>();

export function originalKernel(name: string): tf.KernelFunc {
  const k = originals.get(name) ?? tf.getKernel(name, 'wasm')?.kernelFunc;
  if (!k) throw new Error(`tfjs-backend-wasm has no '${name}' kernel to fall back to`);
  return k;
}

/** Registers config on 'wasm', remembering the kernel it replaces (once: later calls are no-ops). */
export function installKernel(config: tf.KernelConfig): void {
  const current = tf.getKernel(config.kernelName, 'wasm');
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current) {
    // A second copy of this module may have installed its own version: keep tfjs's original.
    if (!originals.has(config.kernelName) && !(current.kernelFunc as { bears?: boolean }).bears) {
      originals.set(config.kernelName, current.kernelFunc);
    }
    tf.unregisterKernel(config.kernelName, 'wasm');
  }
  (config.kernelFunc as { bears?: boolean }).bears = true;
  // The replaced kernel's setupFunc (cwrap of its C++ entry) must still run at backend init:
  // fast paths fall back to that kernel.
  const setupFunc = current?.setupFunc ?? config.setupFunc;
  tf.registerKernel(setupFunc ? { ...config, setupFunc } : config);
}
