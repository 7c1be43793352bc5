import { availableParallelism } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import { parseServeArgs, ConfigError, threadsPerProcess } from './node/config.js';
import { startServer } from './node/server.js';
import { bearBytes } from './test-support/fixtures.js';
import { rawPost } from './test-support/raw-post.js';
import { exited, spawnServer as serveChild } from './test-support/spawn-server.js';

describe('config', () => {
  it('flags win over the environment, which wins over defaults', () => {
    const c = parseServeArgs(['--model', 'm', '--port', '9000', '--max-batch-size', '4'], { PORT: '1', BEARS_WORKERS: '2', BEARS_MAX_QUEUE: '5' });
    expect(c).toMatchObject({ modelDir: 'm', port: 9000, workers: 2, maxBatchSize: 4, maxQueue: 5, host: '127.0.0.1', fold: true, logs: true });
    expect(parseServeArgs(['dir'], {}).modelDir).toBe('dir');
    expect(parseServeArgs([], { BEARS_MODEL: 'env-dir' }).port).toBe(8000);
    expect(parseServeArgs(['m', '--workers', 'auto'], {}).workers).toBe(availableParallelism());
  });

  it('clear errors for bad values', () => {
    expect(() => parseServeArgs([], {})).toThrow(ConfigError);
    expect(() => parseServeArgs(['m', '--workers', '0'], {})).toThrow(/--workers \(BEARS_WORKERS\) must be an integer >= 1, got '0'/);
    expect(() => parseServeArgs(['m', '--port', 'abc'], {})).toThrow(/--port/);
    expect(() => parseServeArgs(['m', '--bogus'], {})).toThrow(/bogus/);
  });

  it('--threads and BEARS_THREADS: auto (the default) or a whole number, flag first', () => {
    expect(parseServeArgs(['m'], {}).threads).toBe('auto');
    expect(parseServeArgs(['m'], { BEARS_THREADS: '3' }).threads).toBe(3);
    expect(parseServeArgs(['m', '--threads', '2'], { BEARS_THREADS: '3' }).threads).toBe(2);
    expect(parseServeArgs(['m', '--threads', 'AUTO'], { BEARS_THREADS: '3' }).threads).toBe('auto');
    expect(() => parseServeArgs(['m', '--threads', '0'], {})).toThrow(ConfigError);
    expect(() => parseServeArgs(['m', '--threads', '1.5'], {})).toThrow(/--threads must be a whole number >= 1 or 'auto', got '1.5'/);
    expect(() => parseServeArgs(['m'], { BEARS_THREADS: 'lots' })).toThrow(/BEARS_THREADS must be a whole number >= 1 or 'auto', got 'lots'/);
  });

  it("threads per process: 'auto' is every core alone, an even share with --workers; a number as given", () => {
    expect(threadsPerProcess({ threads: 'auto', workers: 1 }, 8)).toBe(8);
    expect(threadsPerProcess({ workers: 1 }, 2)).toBe(2);
    expect(threadsPerProcess({ threads: 'auto', workers: 2 }, 8)).toBe(4);
    expect(threadsPerProcess({ threads: 'auto', workers: 3 }, 8)).toBe(2);
    expect(threadsPerProcess({ workers: 2 }, 2)).toBe(1);
    expect(threadsPerProcess({ workers: 4 }, 2)).toBe(1);
    expect(threadsPerProcess({ threads: 3, workers: 2 }, 8)).toBe(3);
  });
});

describe('on Node (@hono/node-server)', () => {
  it('serves predictions on 127.0.0.1, cuts a chunked upload over the limit, and closes gracefully', async () => {
    const logs: unknown[] = [];
    const s = await startServer({ modelDir: inject('modelDir'), port: 0, host: '127.0.0.1', workers: 1, maxBodyBytes: 100_000 }, { signals: [], log: (e) => logs.push(e) });
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/predict`, { method: 'POST', body: (await bearBytes('grizzly')) as BodyInit, headers: { 'content-type': 'image/jpeg' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { label: string }).label).toMatch(/black|grizzly|teddy/);
      const big = await rawPost(`http://127.0.0.1:${s.port}/predict`, Array.from({ length: 200 }, () => new Uint8Array(4096).fill(0xff)), { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' });
      expect(big.status).toBe(413);
      expect(JSON.parse(big.body).error.message).toMatch(/over the limit of 100000 bytes/);
      expect(logs.length).toBe(2);
    } finally {
      await s.close();
    }
    await expect(fetch(`http://127.0.0.1:${s.port}/health`)).rejects.toThrow();
  });

  it('--threads 2: the wasm backend runs its threaded build, and GET /info says so', async () => {
    const { port, stop } = await serveChild([inject('modelDir'), '--port', '0', '--threads', '2', '--quiet']);
    try {
      const info = (await (await fetch(`http://127.0.0.1:${port}/info`)).json()) as { backend: { name: string; threads: number; details: string } };
      expect(info.backend).toMatchObject({ name: 'wasm', threads: 2 });
      expect(info.backend.details).toContain('2 threads');
      const res = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: (await bearBytes('teddy')) as BodyInit, headers: { 'content-type': 'image/jpeg' } });
      expect(res.status).toBe(200);
    } finally {
      expect(await stop()).toBe(0);
    }
  });

  it('SIGTERM: in-flight requests finish, then the process exits 0', async () => {
    const { child, port, output } = await serveChild([inject('modelDir'), '--port', '0', '--max-batch-size', '1']);
    const photo = await bearBytes('teddy');
    const fd = new FormData();
    for (let i = 0; i < 12; i++) fd.append('f', new File([photo as BlobPart], `t${i}.jpg`, { type: 'image/jpeg' }));
    const inflight = fetch(`http://127.0.0.1:${port}/predict/batch`, { method: 'POST', body: fd });
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(12);
    expect(await exited(child)).toBe(0);
    expect(output()).toMatch(/closed/);
    expect(output()).toMatch(/"path":"\/predict\/batch","status":200/);
  });

  it('--workers 2: two processes, one model each, share the port, replace a dead worker, stop on SIGTERM', async () => {
    const { child, port, output } = await serveChild([inject('modelDir'), '--port', '0', '--workers', '2', '--quiet']);
    try {
      const photo = await bearBytes('black');
      const statuses = await Promise.all(Array.from({ length: 6 }, () => fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: photo as BodyInit }).then((r) => r.status)));
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
      // Each worker's default: an even share of the cores.
      const info = (await (await fetch(`http://127.0.0.1:${port}/info`)).json()) as { backend: { threads: number } };
      expect(info.backend.threads).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
      // A worker that dies is replaced: kill one and the port keeps answering.
      const workerPids = (await import('node:child_process')).execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim().split('\n').map(Number);
      expect(workerPids.length).toBe(2);
      process.kill(workerPids[0]!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 4; i++) expect((await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: photo as BodyInit })).status).toBe(200);
      const deadline = Date.now() + 60_000;
      while (!/"event":"worker-exit"/.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(output()).toMatch(/"event":"worker-exit".*"restarting":true/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
  });
});
