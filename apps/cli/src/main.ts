import { closest, parseFlags } from './args.js';
import { CliError, usageError } from './cli-error.js';
import { globalOptions, helpText } from './command.js';
import { createOutput, type Streams } from './output.js';
import { commands } from './commands/index.js';

/** Commands of the lesson that arrive with later packages: listed in help, refused with a reason. */
const LATER: Record<string, string> = {};

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length), ...Object.keys(LATER).map((k) => k.length));
  return [
    'bears: fast.ai lesson 2 from a terminal (collect, verify, train, predict, SGD from scratch)',
    '',
    'Usage: bears <command> [options]     bears <command> --help for details',
    '',
    'Commands, in the lesson\'s order:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    ...(Object.keys(LATER).length ? ['', 'Not yet available:', ...Object.entries(LATER).map(([k, why]) => `  ${k.padEnd(width)}  ${why}`)] : []),
    '',
    'Every command takes --json (one JSON object as the last line of stdout), --backend <name>, --verbose and --help.',
  ].join('\n');
}

/** Runs the CLI and returns the exit code (never calls process.exit, so it can be tested in-process). */
export async function main(argv: string[], streams: Streams = process): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    streams.stdout.write(`${mainHelp()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    streams.stdout.write(`${await version()}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  const json = rest.includes('--json');
  try {
    if (!cmd) {
      if (LATER[name]) throw new CliError(`'${name}' is not available yet: it ${LATER[name]}`, 2);
      const guess = closest(name, commands.map((c) => c.name));
      throw usageError(`unknown command '${name}' (${guess ? `did you mean ${guess}? ` : ''}commands: ${commands.map((c) => c.name).join(', ')})`);
    }
    const args = parseFlags({ ...globalOptions, ...cmd.options }, rest, cmd.name);
    if (args.values.help) {
      streams.stdout.write(`${helpText(cmd)}\n`);
      return 0;
    }
    const out = createOutput({ json, verbose: Boolean(args.values.verbose) }, streams);
    const code = await cmd.run(args, out);
    return code ?? 0;
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    const message = (e?.message ?? String(err)).trim().replace(/\s*\n\s*/g, '; ');
    streams.stderr.write(`bears ${name}: ${message}\n`);
    if (!(err instanceof CliError) && process.env.BEARS_DEBUG) streams.stderr.write(`${e?.stack}\n`);
    if (json) streams.stdout.write(`${JSON.stringify({ error: message })}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

async function version(): Promise<string> {
  const { createRequire } = await import('node:module');
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}
