import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED, runCli } from '../test-support/run-cli.js';

describe('bears download', () => {
  let server: Server;
  let base = '';
  const jpeg = readFileSync(join(SHARED, 'data/bears/teddy', readdirSync(join(SHARED, 'data/bears/teddy')).find((f) => f.endsWith('.jpg'))!));

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/img')) return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
      if (req.url === '/html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>nope</html>');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads good URLs, reports bad ones, and resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bears-cli-dl-'));
    const list = join(dir, 'urls.txt');
    writeFileSync(list, [`${base}/img1.jpg`, `${base}/img2`, '', `${base}/img1.jpg`, `${base}/html`, `${base}/missing.jpg`].join('\n'));
    const dest = join(dir, 'teddy');
    const r = await runCli(['download', list, dest, '--json', '--retries', '0', '--timeout-ms', '2000']);
    expect(r.code).toBe(0);
    expect(r.json.ok).toBe(2);
    expect(r.json.failed.map((f: { url: string }) => f.url).sort()).toEqual([`${base}/html`, `${base}/missing.jpg`]);
    expect(readdirSync(dest).filter((f) => f.endsWith('.jpg')).sort()).toEqual(['00000000.jpg', '00000001.jpg']);
    const again = await runCli(['download', list, dest, '--json', '--retries', '0']);
    expect(again.json.ok).toBe(0);
    expect(again.json.existing).toBe(2);
  });

  it('fails with one line on a missing URL list and a bad flag', async () => {
    const r = await runCli(['download', '/no/urls.txt', '/tmp/x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('URL list not found: /no/urls.txt');
    const bad = await runCli(['download', '/no/urls.txt', '/tmp/x', '--concurrency', 'many']);
    expect(bad.code).toBe(2);
  });
});
