import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createCleanerApp } from './app.js';
import type { DatasetRanking } from './ranking-source.js';
import { newToken } from './security.js';
import { CleanStore, type Recovery } from './store.js';

export interface StartCleanerOptions {
  dataDir: string;
  ranking: DatasetRanking;
  /** 0 (default) picks a free port. */
  port?: number;
  recover?: Recovery;
  /** Where cleaned.csv goes (default <data-dir>/cleaned.csv). */
  cleanedCsv?: string;
}

export interface CleanerServer {
  /** The page's URL, token included: the only way in. */
  url: string;
  port: number;
  token: string;
  store: CleanStore;
  close(): Promise<void>;
}

/** Opens the dataset's store and serves the cleaner on 127.0.0.1 only. */
export async function startCleaner(opts: StartCleanerOptions): Promise<CleanerServer> {
  const store = await CleanStore.open(opts.dataDir, opts.ranking, { recover: opts.recover, cleanedCsv: opts.cleanedCsv });
  const token = newToken();
  let hosts: string[] = [];
  const app = createCleanerApp({ store, token, hosts: () => hosts });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: '127.0.0.1' });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await store.close();
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'EADDRINUSE' ? `port ${opts.port} is in use (pick another with --port, or 0 for any)` : e.message);
  }
  const port = (server.address() as AddressInfo).port;
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    store,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await store.close();
    },
  };
}
