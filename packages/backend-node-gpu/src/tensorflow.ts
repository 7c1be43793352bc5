import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from '@bears/backend';
import type { ModuleLoader } from './loader.js';

/** What tfjs-node's NodeJSKernelBackend exposes about the device TensorFlow picked. */
export interface NodeTensorflowBackend {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

interface ProviderState {
  provider?: string;
}

// Both tfjs-node packages register the same 'tensorflow' tfjs backend and each carries its own
// libtensorflow: one process can hold only one of them.
const KEY = Symbol.for('@bears/backend-node-gpu/tensorflow-provider');
function state(): ProviderState {
  const g = globalThis as unknown as Record<symbol, ProviderState | undefined>;
  return (g[KEY] ??= {});
}

/** Which tfjs-node package provides 'tensorflow' in this process, if one was loaded. */
export function tensorflowProvider(): string | undefined {
  return state().provider;
}

/** A reason not to load `pkg` because the other tfjs-node package is already in this process. */
export function providerConflict(pkg: string): string | undefined {
  const other = state().provider;
  if (!other || other === pkg) return undefined;
  return `this process already loaded ${other} (its own libtensorflow, registered as tfjs backend 'tensorflow'); ${pkg} cannot be loaded beside it: choose one backend per process`;
}

/** For tests: forget the provider (the real packages cannot be unloaded). */
export function resetTensorflowProvider(): void {
  state().provider = undefined;
}

export interface ActivatedTensorflow {
  backend: NodeTensorflowBackend;
  /** The tfjs backend that was current before, to restore if the caller refuses this one. */
  previous: string | null;
}

/**
 * Imports a tfjs-node package, makes 'tensorflow' current and proves it computes, with an
 * error that says what to do at each step that can fail.
 */
export async function activateTensorflow(pluginName: string, pkg: string, loader: ModuleLoader, reinstall: string): Promise<ActivatedTensorflow> {
  const conflict = providerConflict(pkg);
  if (conflict) throw new BackendUnavailableError(pluginName, conflict);
  const previous = tf.engine().backendName ?? null;
  try {
    await loader.load(pkg);
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    throw new BackendUnavailableError(
      pluginName,
      `${pkg} is installed but failed to load: ${message}`,
      /tfjs_binding|native addon|libtensorflow/i.test(message)
        ? `its native part (libtensorflow) is missing: run \`npm rebuild ${pkg}\` with internet access (it downloads libtensorflow), or reinstall: ${reinstall}`
        : `reinstall it: ${reinstall}`,
    );
  }
  state().provider = pkg;
  if (!tf.findBackendFactory('tensorflow')) {
    throw new BackendUnavailableError(
      pluginName,
      `${pkg} loaded but registered no 'tensorflow' backend with the @tensorflow/tfjs-core that Bears uses (${tf.version_core}): two copies of tfjs-core are installed`,
      `install matching versions so npm dedupes them (npm ls @tensorflow/tfjs-core), e.g. ${reinstall}`,
    );
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendUnavailableError(pluginName, `tf.setBackend('tensorflow') failed after loading ${pkg}`);
  await tf.ready();
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6], [2, 1])));
  const values = Array.from(await y.data());
  y.dispose();
  if (values[0] !== 17 || values[1] !== 39) {
    throw new BackendUnavailableError(pluginName, `${pkg} computed [[1,2],[3,4]]x[[5],[6]] as [${values.join(', ')}] instead of [17, 39]`);
  }
  return { backend: tf.backend() as unknown as NodeTensorflowBackend, previous };
}

/** Puts back the tfjs backend that was current before a refused start. */
export async function restoreBackend(previous: string | null): Promise<void> {
  if (previous && previous !== 'tensorflow' && tf.findBackendFactory(previous)) await tf.setBackend(previous);
}
