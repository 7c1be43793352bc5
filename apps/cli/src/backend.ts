import { useBackend, type ActiveBackend } from '@bears/backend';
import { configureWasmThreads, parseThreads } from '@bears/backend-wasm/node';
import { usageError } from './cli-error.js';
import type { ParsedArgs } from './command.js';
import type { Output } from './output.js';

const started = new Map<string, Promise<ActiveBackend>>();

/**
 * Starts the backend once per name (--backend, else BEARS_BACKEND, else auto) and says in one line
 * which one runs. The result is handed to whoever needs it (learner, predict); nothing is written to
 * process.env. Why auto skipped the others (no GPU, package not installed) is --verbose detail; a
 * backend asked for by name that cannot start fails with its reason instead. GPU backends are
 * registered only if installed.
 */
export async function startBackend(out: Output, values: ParsedArgs['values'] = {}): Promise<ActiveBackend> {
  const name = typeof values.backend === 'string' ? values.backend : undefined;
  const key = name ?? '';
  let p = started.get(key);
  if (!p) {
    p = (async () => {
      // @bears/backend-wasm/node read BEARS_THREADS on import; --threads wins. Fixed once wasm starts.
      try {
        configureWasmThreads(parseThreads(process.env.BEARS_THREADS, 'BEARS_THREADS'));
        if (typeof values.threads === 'string') configureWasmThreads(parseThreads(values.threads, '--threads'));
      } catch (err) {
        throw usageError((err as Error).message);
      }
      // Optional packages: a missing one just isn't registered (auto skips it; naming it explains how to install).
      await import('@bears/backend-node-gpu' as string).catch(() => undefined);
      return useBackend(name);
    })();
    p.catch(() => started.delete(key));
    started.set(key, p);
  }
  const active = await p;
  out.log(`backend: ${active.name} (${active.capabilities.details ?? active.capabilities.accelerator})`);
  for (const s of active.skipped) out.detail(`  skipped ${s.name}: ${s.reason}`);
  return active;
}
