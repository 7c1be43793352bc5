import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { usageError, CliError } from './cli-error.js';
import type { OptionSpec, ParsedArgs } from './command.js';

interface NumRule {
  int?: boolean;
  min?: number;
  max?: number;
}

/** The allowed values of a numeric flag, in words: "an integer from 1 to 100000". */
export function allowedValues({ int, min, max }: NumRule): string {
  const kind = int ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return kind;
}

/** Parses a numeric flag; a bad value gets one line naming the flag and what it accepts. */
export function num(value: unknown, flag: string, opts: NumRule = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = String(value).trim() === '' ? NaN : Number(value);
  const ok = Number.isFinite(n) && (!opts.int || Number.isInteger(n)) && (opts.min === undefined || n >= opts.min) && (opts.max === undefined || n <= opts.max);
  if (!ok) throw usageError(`--${flag} must be ${allowedValues(opts)}, got '${String(value)}'`);
  return n;
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate to a mistyped name (a prefix either way, or a couple of edits away), if any. */
export function closest(name: string, candidates: string[]): string | undefined {
  const scored = candidates
    .map((c) => ({ c, d: c.startsWith(name) || name.startsWith(c) ? 0.5 : distance(name, c) }))
    .sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best && best.d <= Math.max(1, Math.min(2, Math.floor(name.length / 3))) ? best.c : undefined;
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * node:util parseArgs with errors a person can act on: `unknown option --epoch (did you mean --epochs?)`,
 * and `--steps -5` reaches the flag's own check (which says what values are allowed) instead of
 * Node's "argument is ambiguous".
 */
export function parseFlags(options: OptionSpec, argv: string[], command: string): ParsedArgs {
  // A negative number after a flag that takes a value is that flag's value, not another flag.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    const e = err as Error & { code?: string };
    const flag = /'(-{1,2}[^'\s=]+)/.exec(e.message)?.[1];
    const help = `see bears ${command} --help`;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
      const names = Object.keys(options);
      const guess = flag.startsWith('--') ? closest(flag.slice(2), names) : undefined;
      throw usageError(`unknown option ${flag} (${guess ? `did you mean --${guess}?` : help})`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
      const name = flag.replace(/^-+/, '');
      const short = Object.entries(options).find(([, o]) => o.short === name)?.[0];
      const long = `--${short ?? name}`;
      if (options[short ?? name]?.type === 'boolean') throw usageError(`${long} takes no value (${help})`);
      if (/ambiguous/.test(e.message)) throw usageError(`${long} needs a value; for one that starts with '-', write ${long}=<value> (${help})`);
      throw usageError(`${long} needs a value (${help})`);
    }
    throw usageError(`${e.message.split('\n')[0]} (${help})`);
  }
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
