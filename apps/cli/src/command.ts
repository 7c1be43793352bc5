import type { ParseArgsConfig } from 'node:util';
import type { Output } from './output.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
}

/** One `bears <name>` subcommand: its help text and its run function. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Help lines describing each option. */
  details: string[];
  examples: string[];
  options: OptionSpec;
  run(args: ParsedArgs, out: Output): Promise<number | void>;
}

/** Options every command takes. */
export const globalOptions: OptionSpec = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  backend: { type: 'string' },
  threads: { type: 'string' },
  verbose: { type: 'boolean', default: false },
};

export function helpText(cmd: Command): string {
  return [
    `bears ${cmd.name}: ${cmd.summary}`,
    '',
    `Usage: ${cmd.usage}`,
    '',
    'Options:',
    ...cmd.details.map((d) => `  ${d}`),
    '  --backend <name>   compute backend: auto (default), wasm, cpu, node-gpu, ... (or BEARS_BACKEND)',
    '  --threads <n>      wasm backend threads: auto (default: the cores not busy) or a number (or BEARS_THREADS);',
    '                     unfrozen training runs that many one-thread workers (data parallel)',
    '  --json             print one JSON object as the last line of stdout (logs go to stderr)',
    '  --verbose          say more: why other backends were skipped, ...',
    '  -h, --help         show this help',
    '',
    'Examples:',
    ...cmd.examples.map((e) => `  ${e}`),
  ].join('\n');
}
