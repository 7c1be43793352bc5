import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NODE_ENTRY = fileURLToPath(new URL('../../dist/node.js', import.meta.url));

export interface ChildServer {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));

/** Runs `runServe(parseServeArgs(args))` from dist in a child process, as `bears serve` and apps/server do. */
export function spawnServer(args: string[], options: { nice?: boolean; env?: Record<string, string>; nodeFlags?: string[] } = {}): Promise<ChildServer> {
  const code = `import { runServe, parseServeArgs } from ${JSON.stringify(NODE_ENTRY)};
const s = await runServe(parseServeArgs(process.argv.slice(1)));
console.error(JSON.stringify({ listening: s.port }));
await s.closed;
console.error('closed');`;
  // nodeFlags go to the server's node; its cluster workers inherit them (workerExecArgv).
  const argv = [process.execPath, ...(options.nodeFlags ?? []), '--input-type=module', '-e', code, ...args];
  const [cmd, ...rest] = options.nice ? ['nice', '-n', '10', ...argv] : argv;
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /\{"listening":(\d+)\}/.exec(err);
      if (m) {
        resolve({
          child,
          port: Number(m[1]),
          output: () => out + err,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            return exited(child);
          },
        });
      }
    });
    child.once('exit', (c) => reject(new Error(`server exited with ${c}: ${err}`)));
  });
}
