import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { usageError, CliError } from './cli-error.js';

/** Parses a numeric flag, with a one-line error naming the flag. */
export function num(value: unknown, flag: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n))) throw usageError(`--${flag} must be ${opts.int ? 'an integer' : 'a number'}, got '${String(value)}'`);
  if (opts.min !== undefined && n < opts.min) throw usageError(`--${flag} must be at least ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max) throw usageError(`--${flag} must be at most ${opts.max}, got ${n}`);
  return n;
}

export function requirePositional(positionals: string[], index: number, name: string): string {
  const v = positionals[index];
  if (v === undefined) throw usageError(`missing <${name}> (see --help)`);
  return v;
}

export function existingDir(path: string, what: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new CliError(`${what} not found: ${path}`);
  if (!statSync(abs).isDirectory()) throw new CliError(`${what} is not a folder: ${path}`);
  return abs;
}

export function existingFile(path: string, what: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new CliError(`${what} not found: ${path}`);
  if (!statSync(abs).isFile()) throw new CliError(`${what} is not a file: ${path}`);
  return abs;
}
