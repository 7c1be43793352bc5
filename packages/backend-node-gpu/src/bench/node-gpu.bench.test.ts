import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeModuleLoader } from '../loader.js';

// Benchmarks compile to bench-dist/ (outside the published dist), as `npm run bench` does.
const pkgDir = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('../../bench-dist/bench/node-gpu.bench.js', import.meta.url));
// Where tfjs-node-gpu is installed the benchmark really runs (minutes): not a unit test.
const gpuPackageInstalled = nodeModuleLoader().installedVersion('@tensorflow/tfjs-node-gpu') !== undefined;

describe.skipIf(gpuPackageInstalled)('npm run bench without tfjs-node-gpu', () => {
  beforeAll(async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], { cwd: pkgDir, timeout: 120_000 });
  }, 150_000);

  it('exits 0, says why it cannot run, and ends with a JSON line', async () => {
    expect(existsSync(script), `${script} is missing: tsc -p tsconfig.bench.json did not write it`).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [script], { env: { ...process.env, BEARS_ALLOW_CPU_FALLBACK: '' }, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(stdout).toMatch(/node-gpu benchmark cannot run on this machine/);
    expect(stdout).toContain('npm install @tensorflow/tfjs-node-gpu@4.22.0');
    expect(JSON.parse(lines.at(-1)!)).toEqual({ benchmark: 'mobilenet_v2_node_gpu', ran: false, reason: expect.stringMatching(/tfjs-node-gpu is not installed/) });
  });
});
