#!/usr/bin/env node
// apps/server: flags and environment in, @bears/serve/node does the rest.
import { ConfigError, parseServeArgs, runServe, serveHelp } from '@bears/serve/node';

const usage = `Usage: npm start -- --model <dir> [--port 8000] [options]

Serves POST /predict, POST /predict/batch, GET /, /health, /info and /metrics (Prometheus).
Logs one JSON line per request on stdout.

Options (flags win over environment variables):
${serveHelp.map((l) => `  ${l}`).join('\n')}
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  let config;
  try {
    config = parseServeArgs(argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`bears-server: ${err.message}\n\n${usage}`);
    return 2;
  }
  try {
    const s = await runServe(config);
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'listening', url: `http://${s.host}:${s.port}/`, port: s.port, workers: s.workers, threads: s.threads, model: config.modelDir })}\n`);
    await s.closed;
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event: 'stopped' })}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`bears-server: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
