import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, SHARED } from '../test-support/run-cli.js';

/** The model @bears/serve's tests train (cached in the temp folder). */
async function testModel(): Promise<string> {
  const fixtures = '../../../../packages/serve/src/test-support/fixtures.js'; // not a literal import: the helper is outside this package's tsconfig
  return ((await import(fixtures)) as { trainTestModel(): Promise<string> }).trainTestModel();
}

describe('bears serve', () => {
  it('serves the model on 127.0.0.1, answers /predict, and stops on SIGTERM with a JSON result', async () => {
    const model = await testModel();
    const child = spawn(process.execPath, [BIN, 'serve', model, '--port', '0', '--threads', '2', '--json'], { env: { ...process.env, BEARS_BACKEND: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /on (http:\/\/127\.0\.0\.1:\d+\/) \(1 worker, 2 threads\)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (c) => reject(new Error(`exited ${c}: ${stderr}`)));
    });
    const dir = path.join(SHARED, 'data/bears/black');
    const photo = await readFile(path.join(dir, (await readdir(dir)).sort()[0]!));
    const fd = new FormData();
    fd.append('file', new File([photo], 'b.jpg', { type: 'image/jpeg' }));
    const res = await fetch(`${url}predict`, { method: 'POST', body: fd });
    expect(res.status).toBe(200);
    expect(Object.keys(((await res.json()) as { probabilities: object }).probabilities)).toEqual(['black', 'grizzly', 'teddy']);
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    // Request logs are JSON lines on stderr; stdout holds only the --json result.
    expect(stderr).toMatch(/\{"time":"[^"]+","method":"POST","path":"\/predict","status":200/);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ url, stopped: true, workers: 1, threads: 2 });
  });

  it('a missing model folder is a one-line error', async () => {
    const r = await runCli(['serve', 'no-such-dir']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model folder not found: no-such-dir/);
  });

  it('bad numbers are usage errors', async () => {
    const r = await runCli(['serve', '.', '--workers', 'two']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers/);
    const t = await runCli(['serve', '.', '--threads', 'many']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--threads must be a whole number >= 1 or 'auto', got 'many'/);
  });

  it('--help documents the flags', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.stdout).toMatch(/bears serve <model-dir> \[--port N\] \[--workers N\]/);
    expect(r.stdout).toMatch(/--max-queue/);
    expect(r.stdout).toMatch(/each runs cores \/ n wasm threads unless --threads says/);
    expect(r.stdout.match(/^\s+--threads /gm)).toHaveLength(1);
  });
});
