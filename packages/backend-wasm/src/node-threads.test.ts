import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commonJsExecArgv } from './node-threads.js';

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('pthread workers on Node', () => {
  it('drop --input-type from the flags they inherit (their script is CommonJS)', () => {
    expect(commonJsExecArgv(['--input-type=module', '-e', 'x', '--max-old-space-size=512'])).toEqual(['-e', 'x', '--max-old-space-size=512']);
    expect(commonJsExecArgv(['--input-type', 'module', '--cpu-prof'])).toEqual(['--cpu-prof']);
  });

  it('start in a host run as `node --input-type=module -e` (as servers spawned by tests and benches are)', async () => {
    // Run from the package root: the code imports the built entry and resolves @bears/backend there.
    const code = `import { configureWasmThreads, wasmThreadCount } from './dist/node.js';
import { useBackend } from '@bears/backend';
configureWasmThreads(2);
await useBackend('wasm', { env: null });
console.log(JSON.stringify({ threads: wasmThreadCount() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { cwd: PACKAGE_ROOT, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ threads: 2 });
  });
});
