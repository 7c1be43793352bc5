import { parseArgs } from 'node:util';
import { CliError, usageError } from './cli-error.js';
import { globalOptions, helpText, type Command } from './command.js';
import { createOutput, type Streams } from './output.js';
import { commands } from './commands/index.js';

/** Commands of the lesson that arrive with later packages: listed in help, refused with a reason. */
const LATER: Record<string, string> = {
  serve: 'comes with @bears/serve (HTTP predictions)',
};

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length), ...Object.keys(LATER).map((k) => k.length));
  return [
    'bears: fast.ai lesson 2 from a terminal (collect, verify, train, predict, SGD from scratch)',
    '',
    'Usage: bears <command> [options]     bears <command> --help for details',
    '',
    'Commands, in the lesson\'s order:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Not yet available:',
    ...Object.entries(LATER).map(([k, why]) => `  ${k.padEnd(width)}  ${why}`),
    '',
    'Every command takes --json (one JSON object as the last line of stdout), --backend <name> and --help.',
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
  const out = createOutput(json, streams);
  try {
    if (!cmd) {
      if (LATER[name]) throw new CliError(`'${name}' is not available yet: it ${LATER[name]}`, 2);
      throw usageError(`unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')})`);
    }
    const args = parse(cmd, rest);
    if (args.values.help) {
      streams.stdout.write(`${helpText(cmd)}\n`);
      return 0;
    }
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

function parse(cmd: Command, argv: string[]) {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...globalOptions, ...cmd.options }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

async function version(): Promise<string> {
  const { createRequire } = await import('node:module');
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}
