import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const BEARS = fileURLToPath(new URL('../../../../shared/data/bears/', import.meta.url));

let child: ChildProcess;
let port: number;
let stdout = '';

/** The model @bears/serve's tests train (cached in the temp folder). */
async function testModel(): Promise<string> {
  const fixtures = '../../../packages/serve/src/test-support/fixtures.js'; // not a literal import: the helper is outside this package's tsconfig
  return ((await import(fixtures)) as { trainTestModel(): Promise<string> }).trainTestModel();
}

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(async () => {
  const model = await testModel();
  child = run(['--model', model], { PORT: '0', BEARS_MAX_BATCH_SIZE: '4', BEARS_THREADS: '2' });
  port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      const m = /"event":"listening".*"port":(\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (c) => reject(new Error(`exited ${c}: ${err}`)));
  });
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('apps/server', () => {
  it('--help lists the flags and their environment variables', async () => {
    const c = run(['--help']);
    let out = '';
    c.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => c.once('exit', r));
    expect(out).toMatch(/--model <dir>/);
    expect(out).toMatch(/BEARS_MAX_QUEUE/);
  });

  it('a bad flag is a usage error (exit 2)', async () => {
    const c = run(['--model', 'x', '--workers', 'many']);
    let err = '';
    c.stderr!.on('data', (d) => (err += d));
    expect(await new Promise((r) => c.once('exit', r))).toBe(2);
    expect(err).toMatch(/--workers \(BEARS_WORKERS\) must be an integer/);
    const t = run(['--model', 'x'], { BEARS_THREADS: 'some' });
    let terr = '';
    t.stderr!.on('data', (d) => (terr += d));
    expect(await new Promise((r) => t.once('exit', r))).toBe(2);
    expect(terr).toMatch(/BEARS_THREADS must be a whole number >= 1 or 'auto', got 'some'/);
  });

  it('runs the wasm threads BEARS_THREADS asks for, and says so at startup and in GET /info', async () => {
    expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ event: 'listening', workers: 1, threads: 2 });
    const info = (await (await fetch(`http://127.0.0.1:${port}/info`)).json()) as { backend: { threads: number } };
    expect(info.backend.threads).toBe(2);
  });

  it('serves predictions, logs JSON lines and exposes Prometheus metrics', async () => {
    const photo = await readFile(path.join(BEARS, 'teddy', (await readdir(path.join(BEARS, 'teddy'))).filter((f) => f.startsWith('am_')).sort()[0]!));
    const res = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: photo, headers: { 'content-type': 'image/jpeg' } });
    expect(res.status).toBe(200);
    const bad = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: 'nope', headers: { 'content-type': 'text/plain' } });
    expect(bad.status).toBe(415);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/bears_requests_total\{route="\/predict",status="200"\} 1/);
    expect(metrics).toMatch(/bears_requests_total\{route="\/predict",status="415"\} 1/);
    expect(metrics).toMatch(/bears_request_duration_seconds_count\{route="\/predict"\} 2/);
    expect(metrics).toMatch(/bears_batch_size_bucket\{le="4"\} 1/);
    expect(metrics).toMatch(/bears_queue_depth 0/);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.path === '/predict' && l.status === 200)).toMatchObject({ method: 'POST', label: expect.any(String), ms: expect.any(Number) });
  });

  it('stops on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(stdout).toMatch(/"event":"stopped"/);
  });
});

describe('npm run quantize', () => {
  it('writes a float16 copy of the model at half the weight bytes', async () => {
    const out = path.join(tmpdir(), `bears-server-f16-${process.pid}`);
    const c = spawn(process.execPath, [fileURLToPath(new URL('../dist/quantize.js', import.meta.url)), '--model', await testModel(), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let o = '';
    c.stdout!.on('data', (d) => (o += d));
    expect(await new Promise((r) => c.once('exit', r))).toBe(0);
    const r = JSON.parse(o);
    expect(r.bytesAfter * 2).toBe(r.bytesBefore);
    expect(existsSync(path.join(out, 'metadata.json'))).toBe(true);
  });
});
