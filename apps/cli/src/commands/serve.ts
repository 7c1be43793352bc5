import { configFrom, runServe, serveHelp, serveOptionSpec } from '@bears/serve/node';
import { existingDir, requirePositional } from '../args.js';
import { CliError, usageError } from '../cli-error.js';
import type { Command } from '../command.js';

// --backend and --threads are global options: every command takes them.
const { model: _model, backend: _backend, threads: _threads, ...options } = serveOptionSpec;

export const serve: Command = {
  name: 'serve',
  summary: 'serve an exported model over HTTP (POST /predict, a web page, /metrics)',
  usage: 'bears serve <model-dir> [--port N] [--workers N]',
  details: ['<model-dir>              a folder written by `bears train --out`', ...serveHelp.filter((l) => !l.startsWith('--model') && !l.startsWith('--threads'))],
  examples: ['bears serve model', 'bears serve model --port 8000 --workers 2 --host 0.0.0.0', 'curl -F file=@teddy.jpg http://127.0.0.1:8000/predict'],
  options,
  async run({ positionals, values }, out) {
    const modelDir = existingDir(requirePositional(positionals, 0, 'model-dir'), 'model folder');
    let config;
    try {
      config = { ...configFrom({ ...values, model: modelDir }, [], process.env), logStream: 'stderr' as const };
    } catch (err) {
      throw usageError((err as Error).message);
    }
    let s;
    try {
      s = await runServe(config);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    const url = `http://${s.host}:${s.port}/`;
    const threads = s.threads === undefined ? '' : `, ${s.threads} thread${s.threads > 1 ? 's' : ''}${s.workers > 1 ? ' each' : ''}`;
    out.log(`bears serve: ${modelDir} on ${url} (${s.workers} worker${s.workers > 1 ? 's' : ''}${threads}); Ctrl-C or SIGTERM stops it`);
    await s.closed;
    out.log('bears serve: stopped');
    out.result({ url, port: s.port, workers: s.workers, threads: s.threads, stopped: true });
  },
};
