import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
export const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (the --json contract). */
  json: any;
}

/** Spawns the built `bears` binary, as a user would. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd, env: { ...process.env, BEARS_BACKEND: '', ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const last = stdout.trim().split('\n').pop() ?? '';
        let json: unknown;
        try {
          json = JSON.parse(last);
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}
