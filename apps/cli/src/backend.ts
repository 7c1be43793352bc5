import { useBackend, type ActiveBackend } from '@bears/backend';
import '@bears/backend-wasm';
import type { Output } from './output.js';

const started = new Map<string, Promise<ActiveBackend>>();

/**
 * Starts the backend once per name (--backend, else BEARS_BACKEND, else auto) and says in one line
 * which one runs. Why auto skipped the others (no GPU, package not installed) is --verbose detail;
 * a backend asked for by name that cannot start fails with its reason instead.
 */
export async function startBackend(out: Output): Promise<ActiveBackend> {
  const wanted = (out.backend ?? process.env.BEARS_BACKEND ?? '').trim().toLowerCase() || 'auto';
  let pending = started.get(wanted);
  if (!pending) {
    pending = (async () => {
      // Optional packages: a missing one just isn't registered (auto skips it; naming it explains how to install).
      await import('@bears/backend-node-gpu' as string).catch(() => undefined);
      return useBackend(wanted);
    })();
    started.set(wanted, pending);
    pending.catch(() => started.delete(wanted));
  }
  const active = await pending;
  out.log(`backend: ${active.name} (${active.capabilities.details ?? active.capabilities.accelerator})`);
  for (const s of active.skipped) out.detail(`  skipped ${s.name}: ${s.reason}`);
  return active;
}
