import { useBackend, type ActiveBackend } from '@bears/backend';
import '@bears/backend-wasm';
import type { Output } from './output.js';

let started: Promise<ActiveBackend> | undefined;

/** Starts the backend once: --backend / BEARS_BACKEND / auto. GPU backends are registered only if installed. */
export function startBackend(out: Output): Promise<ActiveBackend> {
  started ??= (async () => {
    // Optional packages: a missing one just isn't registered (auto skips it; naming it explains how to install).
    await import('@bears/backend-node-gpu' as string).catch(() => undefined);
    const active = await useBackend();
    out.log(`backend: ${active.name} (${active.capabilities.details ?? active.capabilities.accelerator})`);
    for (const s of active.skipped) out.log(`  skipped ${s.name}: ${s.reason}`);
    return active;
  })();
  return started;
}
