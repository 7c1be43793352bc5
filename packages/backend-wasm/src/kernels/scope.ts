import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Attrs = Record<string, unknown>;

/**
 * Runs the wasm backend's own kernels (XNNPACK convolutions, transposes, pads) from inside a
 * composed kernel and frees every intermediate on the wasm heap when the composed kernel ends.
 * Calling kernelFuncs directly (as tfjs backends do internally) keeps intermediates off the
 * engine's tape and out of tf.memory() bookkeeping.
 */
export class KernelScope {
  private readonly temps: tf.TensorInfo[] = [];

  constructor(readonly backend: BackendWasm, readonly kernelName: string) {}

  run(name: string, inputs: Record<string, tf.TensorInfo>, attrs: Attrs = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) throw new Error(`${this.kernelName} on wasm needs the wasm kernel '${name}', which is not registered`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    this.temps.push(out);
    return out;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run(tf.Reshape, { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run(tf.Transpose, { x }, { perm });
  }

  /** Adopts a TensorInfo made outside run() (e.g. backend.makeOutput) so it is freed with the scope. */
  track(t: tf.TensorInfo): tf.TensorInfo {
    this.temps.push(t);
    return t;
  }

  /** Takes a result out of the scope so dispose() leaves it alone. */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.temps.lastIndexOf(t);
    if (i >= 0) this.temps.splice(i, 1);
    return t;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs body in a scope; the returned TensorInfo survives, everything else is freed (also on error). */
export function composed(backend: BackendWasm, kernelName: string, body: (s: KernelScope) => tf.TensorInfo): tf.TensorInfo {
  const scope = new KernelScope(backend, kernelName);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}
