import { main } from '../main.js';

export interface MainRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (the --json contract), if it is JSON. */
  json: any;
}

/** Runs `bears <argv>` in this process through main(argv, streams); `tty` makes stderr look like a terminal. */
export async function runMain(argv: string[], options: { tty?: boolean; columns?: number } = {}): Promise<MainRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false, columns: options.columns ?? 120 },
  });
  let json: unknown;
  try {
    json = JSON.parse(stdout.trim().split('\n').pop() ?? '');
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}
