import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors.js';
import { readEnv } from './runtime.js';
import type { BackendCapabilities, BackendPlugin, ImageCodec } from './types.js';

/** Where to get each known backend, for errors about an unregistered name. */
const KNOWN_PACKAGES: Record<string, string> = {
  wasm: '@bears/backend-wasm',
  cpu: '@bears/backend (cpuBackend)',
  'node-gpu': '@bears/backend-node-gpu',
  'node-cpu': '@bears/backend-node-gpu (nodeCpuBackend)',
  webgpu: '@bears/backend-webgpu',
  webgl: '@bears/backend-webgpu (webglBackend)',
};

/** The started backend, handed to whoever needs it (decode, memory planning): never looked up from globals. */
export interface ActiveBackend {
  name: string;
  plugin: BackendPlugin;
  tfBackendName: string;
  capabilities: BackendCapabilities;
  codec: ImageCodec;
  /** Under 'auto': the backends tried before this one and why each was passed over. */
  skipped: Array<{ name: string; reason: string }>;
}

interface RegistryState {
  plugins: Map<string, BackendPlugin>;
  active?: ActiveBackend;
}

// Kept on globalThis so two copies of this module (a bundler quirk) still share one registry.
const KEY = Symbol.for('@bears/backend/registry');
function state(): RegistryState {
  const g = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  return (g[KEY] ??= { plugins: new Map() });
}

/** Registers a backend plugin. Re-registering a name replaces it (useful for tests). */
export function registerBackend(plugin: BackendPlugin): void {
  if (!/^[a-z0-9-]+$/.test(plugin.name)) throw new Error(`Invalid backend name '${plugin.name}': use lower-case letters, digits and '-'`);
  state().plugins.set(plugin.name, plugin);
}

export function unregisterBackend(name: string): void {
  state().plugins.delete(name);
}

/** Registered backends, highest priority first. */
export function listBackends(): BackendPlugin[] {
  return [...state().plugins.values()].sort((a, b) => b.priority - a.priority);
}

export function getBackendPlugin(name: string): BackendPlugin | undefined {
  return state().plugins.get(name);
}

/** The backend chosen by the last successful useBackend(), if any. */
export function activeBackend(): ActiveBackend | undefined {
  return state().active;
}

export interface UseBackendOptions {
  /** Environment override; defaults to BEARS_BACKEND. Pass null to ignore the environment. */
  env?: string | null;
}

/**
 * Picks and starts a backend: an explicit name wins, then BEARS_BACKEND, then 'auto'
 * (the highest-priority registered backend that starts). An explicit name that cannot
 * start throws; it never falls back silently.
 */
export async function useBackend(name?: string, options: UseBackendOptions = {}): Promise<ActiveBackend> {
  const envName = options.env === null ? undefined : (options.env ?? readEnv('BEARS_BACKEND'));
  const wanted = (name ?? envName ?? 'auto').trim().toLowerCase();
  const active = wanted === 'auto' ? await startAuto() : await startNamed(wanted, []);
  state().active = active;
  return active;
}

async function startNamed(name: string, skipped: ActiveBackend['skipped']): Promise<ActiveBackend> {
  const plugin = state().plugins.get(name);
  if (!plugin) {
    const registered = listBackends().map((p) => p.name);
    const pkg = KNOWN_PACKAGES[name];
    throw new BackendUnavailableError(
      name,
      `no backend named '${name}' is registered (registered: ${registered.length ? registered.join(', ') : 'none'})`,
      pkg ? `install ${pkg.split(' ')[0]} and import it once before choosing a backend` : `use one of: ${Object.keys(KNOWN_PACKAGES).join(', ')}, or 'auto'`,
    );
  }
  const available = await plugin.isAvailable();
  if (!available.ok) throw new BackendUnavailableError(name, available.reason, available.install);
  try {
    await plugin.init();
  } catch (err) {
    if (err instanceof BackendUnavailableError) throw err;
    throw new BackendUnavailableError(name, `initialisation failed: ${(err as Error).message ?? String(err)}`);
  }
  if (tf.getBackend() !== plugin.tfBackendName) {
    throw new BackendUnavailableError(name, `tfjs did not switch to '${plugin.tfBackendName}' (current: '${tf.getBackend()}')`);
  }
  return {
    name: plugin.name,
    plugin,
    tfBackendName: plugin.tfBackendName,
    capabilities: plugin.capabilities(),
    codec: await plugin.codec(),
    skipped,
  };
}

async function startAuto(): Promise<ActiveBackend> {
  const skipped: ActiveBackend['skipped'] = [];
  for (const plugin of listBackends()) {
    try {
      return await startNamed(plugin.name, skipped);
    } catch (err) {
      skipped.push({ name: plugin.name, reason: err instanceof BackendUnavailableError ? err.reason : String(err) });
    }
  }
  const tried = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new BackendUnavailableError(
    'auto',
    skipped.length ? `no registered backend could start (${tried})` : 'no backend is registered',
    'install @bears/backend-wasm (works everywhere) and import it once',
  );
}
