// Entry of each node:cluster worker: load the model, serve, report the port; exit after a graceful close.
import type { ServeConfig } from './config.js';
import { WORKER_CONFIG_ENV } from './run.js';
import { startServer } from './server.js';

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '{}') as ServeConfig;
try {
  const s = await startServer(config);
  process.send?.({ ready: s.port, threads: s.threads });
  await s.closed;
  process.exit(0);
} catch (err) {
  process.send?.({ error: (err as Error).message });
  process.exit(1);
}
