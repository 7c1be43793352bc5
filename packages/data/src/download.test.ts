import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadImages } from './download.js';
import { parseUrlList } from './url-list.js';
import { cleanupTempDirs, tempDir } from './test-helpers.js';

const BEARS = fileURLToPath(new URL('../../../../shared/data/bears', import.meta.url));

/** A local server that serves real bear photos and misbehaves on purpose. */
let server: http.Server;
let base: string;
let jpegs: string[];
let png: Buffer;
const hits = new Map<string, number>();

beforeAll(async () => {
  jpegs = (await fs.readdir(path.join(BEARS, 'grizzly'))).filter((f) => f.startsWith('am_')).slice(0, 12).map((f) => path.join(BEARS, 'grizzly', f));
  png = await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } } }).png().toBuffer();
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = url.pathname;
    hits.set(route, (hits.get(route) ?? 0) + 1);
    const n = hits.get(route)!;
    const image = async (i: number) => fs.readFile(jpegs[i % jpegs.length]!);
    const m = /^\/img\/(\d+)/.exec(route);
    void (async () => {
      if (m) {
        const body = await image(Number(m[1]));
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
        res.end(body);
      } else if (route === '/png.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' }); // lies: content is PNG
        res.end(png);
      } else if (route === '/404') {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<html><body>Not found</body></html>');
      } else if (route === '/500') {
        res.writeHead(500);
        res.end('oops');
      } else if (route === '/flaky') {
        if (n < 2) { res.writeHead(503); res.end(); return; }
        const body = await image(3);
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(body);
      } else if (route === '/slow') {
        // Headers come at once, the body never finishes in time.
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.write((await image(1)).subarray(0, 100));
        const t = setTimeout(() => res.end(), 5000);
        res.on('close', () => clearTimeout(t));
      } else if (route === '/slow-headers') {
        const t = setTimeout(() => { res.writeHead(200); res.end(); }, 5000);
        res.on('close', () => clearTimeout(t));
      } else if (route === '/redirect') {
        res.writeHead(302, { location: '/img/5' });
        res.end();
      } else if (route === '/loop') {
        res.writeHead(301, { location: '/loop' });
        res.end();
      } else if (route === '/html200.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end('<!DOCTYPE html><html><head><title>Bear</title></head><body>Sorry</body></html>');
      } else if (route === '/empty') {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 0 });
        res.end();
      } else if (route === '/truncated') {
        // Content-Length promises the whole file; half is sent, then the socket closes.
        const body = await image(2);
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      } else if (route === '/cut-jpeg') {
        // Half a JPEG sent as a complete chunked response: only a decode can tell.
        const body = await image(4);
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(body.subarray(0, body.length >> 1));
      } else if (route === '/huge') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const chunk = Buffer.alloc(64 * 1024, 0xff);
        let sent = 0;
        const pump = () => {
          while (sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) { res.once('drain', pump); return; }
          }
          res.end();
        };
        res.on('close', () => { sent = Infinity; });
        pump();
      } else if (route === '/huge-declared') {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 500 * 1024 * 1024 });
        res.write(Buffer.alloc(1024));
        res.on('close', () => {});
      } else {
        res.writeHead(404);
        res.end();
      }
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await cleanupTempDirs();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});


const fast = { timeoutMs: 1000, backoffMs: 10, retries: 1, maxBytes: 2 * 1024 * 1024 };

describe('parseUrlList', () => {
  it('skips blank lines and duplicates, keeps order', () => {
    expect(parseUrlList('\n\n http://a/1 \n\nhttp://b/2\r\nhttp://a/1\n')).toEqual(['http://a/1', 'http://b/2']);
  });
  it('reads a CSV url column', () => {
    expect(parseUrlList('url\nhttp://a/1\n')).toEqual(['http://a/1']);
    expect(parseUrlList('name,URL\nx,http://a/1\ny,"http://b/2?x=1,2"\nz,http://a/1\n')).toEqual(['http://a/1', 'http://b/2?x=1,2']);
  });
  it('reads the lesson URL lists (blank lines, duplicates, .csv without header, no final newline)', async () => {
    const urls = path.join(BEARS, 'urls');
    const { readUrlList } = await import('./url-list-file.js');
    expect(await readUrlList(path.join(urls, 'ActionMichael/urls_grizzly.txt'))).toHaveLength(319);
    expect(await readUrlList(path.join(urls, 'collinswm/urls_black.csv'))).toHaveLength(80);
    expect(await readUrlList(path.join(urls, 'deepakbas/urls_black.txt'))).toHaveLength(400);
    expect(await readUrlList(path.join(urls, 'offmannn/urls_grizzly.txt'))).toHaveLength(32);
    expect((await readUrlList(path.join(urls, 'eduardodut/urls_teddys.txt'))).every((u) => /^https?:\/\//.test(u))).toBe(true);
  });
  it('rejects a CSV without a url column', () => {
    expect(() => parseUrlList('name,label\na,b\n')).toThrow(/no url column/);
  });
});

describe('downloadImages against a misbehaving local server', () => {
  it('downloads good URLs, reports every bad one, and writes nothing for failures', async () => {
    const dest = await tempDir();
    const urls = [
      `${base}/img/0`, `${base}/404`, `${base}/500`, `${base}/slow`, `${base}/redirect`, `${base}/html200.jpg`,
      `${base}/truncated`, `${base}/huge`, `${base}/png.jpg`, `${base}/empty`, `${base}/cut-jpeg`, `${base}/loop`,
      `${base}/huge-declared`, `${base}/slow-headers`, 'not a url', 'ftp://example.com/x.jpg', `${base}/img/1`,
    ];
    const progress: number[] = [];
    const started = Date.now();
    // A roomier timeout here: on a loaded CI machine a good image must not time out.
    const summary = await downloadImages(urls, dest, { ...fast, timeoutMs: 1500, onProgress: (p) => progress.push(p.done) });
    const elapsed = Date.now() - started;
    const by = (u: string) => summary.results.find((r) => r.url === `${base}${u}`)!;

    expect(summary.total).toBe(17);
    // Compared as lists so a failure shows which URL and why.
    expect(summary.results.filter((r) => r.status === 'ok').map((r) => [r.url, r.error])).toEqual(
      ['/img/0', '/redirect', '/png.jpg', '/img/1'].map((u) => [`${base}${u}`, undefined]),
    );
    expect(summary.failed).toBe(13);
    expect(progress).toHaveLength(17);
    expect(progress.at(-1)).toBe(17);

    expect(by('/img/0')).toMatchObject({ status: 'ok', file: '00000000.jpg', format: 'jpeg' });
    expect(by('/redirect')).toMatchObject({ status: 'ok', file: '00000004.jpg', finalUrl: `${base}/img/5` });
    expect(by('/png.jpg')).toMatchObject({ status: 'ok', file: '00000008.png', format: 'png' });
    expect(by('/img/1')).toMatchObject({ status: 'ok', file: '00000016.jpg' });

    expect(by('/404')).toMatchObject({ status: 'failed', httpStatus: 404, attempts: 1 });
    expect(by('/500')).toMatchObject({ status: 'failed', httpStatus: 500, attempts: 2 });
    expect(by('/slow').error).toMatch(/timed out/);
    expect(by('/slow-headers').error).toMatch(/timed out/);
    expect(by('/html200.jpg').error).toMatch(/not an image \(HTML/);
    expect(by('/truncated').error).toMatch(/closed early|network error/);
    expect(by('/truncated').attempts).toBe(2);
    expect(by('/huge').error).toMatch(/too large/);
    expect(by('/huge-declared').error).toMatch(/too large: Content-Length/);
    expect(by('/empty').error).toMatch(/empty/);
    expect(by('/cut-jpeg').error).toMatch(/corrupt or truncated/);
    expect(by('/loop').error).toMatch(/redirect/);
    expect(summary.results.find((r) => r.url === 'not a url')!.error).toBe('invalid URL');
    expect(summary.results.find((r) => r.url.startsWith('ftp:'))!.error).toMatch(/unsupported protocol/);

    // Only the good downloads (and the manifest) are on disk: no partial or temp files.
    const files = (await fs.readdir(dest)).sort();
    expect(files).toEqual(['00000000.jpg', '00000004.jpg', '00000008.png', '00000016.jpg', 'download-manifest.json']);
    const saved = await fs.readFile(path.join(dest, '00000000.jpg'));
    expect(saved.equals(await fs.readFile(jpegs[0]!))).toBe(true);
    const manifest = JSON.parse(await fs.readFile(summary.manifestFile, 'utf8'));
    expect(manifest.entries).toHaveLength(17);
    expect(manifest.entries.find((e: { url: string }) => e.url === `${base}/404`)).toMatchObject({ status: 'failed', error: 'HTTP 404 Not Found' });
    // Timeouts run in parallel: the whole run is far below 17 sequential timeouts.
    expect(elapsed).toBeLessThan(8000);
  });

  it('retries transient failures with backoff', async () => {
    const dest = await tempDir();
    hits.delete('/flaky');
    const summary = await downloadImages([`${base}/flaky`], dest, fast);
    expect(summary.results[0]).toMatchObject({ status: 'ok', attempts: 2, file: '00000000.jpg' });
  });

  it('resumes: a second run skips what is there and retries what failed', async () => {
    const dest = await tempDir();
    const list = path.join(dest, '..', `${path.basename(dest)}-urls.txt`);
    await fs.writeFile(list, [`${base}/img/2`, '', `${base}/404`, `${base}/img/3`, `${base}/img/2`, ''].join('\n'));
    const first = await downloadImages(list, dest, fast);
    expect([first.total, first.ok, first.failed, first.existing]).toEqual([3, 2, 1, 0]);
    const before = hits.get('/img/3');
    const second = await downloadImages(list, dest, fast);
    expect([second.ok, second.failed, second.existing]).toEqual([0, 1, 2]);
    expect(hits.get('/img/3')).toBe(before);
    expect(second.results.map((r) => r.file)).toEqual(['00000000.jpg', undefined, '00000002.jpg']);

    // A deleted file is fetched again under its old name.
    await fs.rm(path.join(dest, '00000002.jpg'));
    const third = await downloadImages(list, dest, fast);
    expect([third.ok, third.existing]).toEqual([1, 1]);
    expect(third.results[2]).toMatchObject({ status: 'ok', file: '00000002.jpg' });
    // Without the manifest (a crash before it was saved), file N is taken as line N and not fetched again.
    await fs.rm(path.join(dest, 'download-manifest.json'));
    const n3 = hits.get('/img/3');
    const fourth = await downloadImages(list, dest, fast);
    expect([fourth.existing, fourth.ok, fourth.failed]).toEqual([2, 0, 1]);
    expect(hits.get('/img/3')).toBe(n3);
    expect((await fs.readdir(dest)).filter((f) => f.endsWith('.jpg')).sort()).toEqual(['00000000.jpg', '00000002.jpg']);
    await fs.rm(list);
  });

  it('stops at maxImages and cleans up stale temp files', async () => {
    const dest = await tempDir();
    await fs.writeFile(path.join(dest, '.00000000.jpg.123-abcd.part'), 'half a file');
    const urls = Array.from({ length: 10 }, (_, i) => `${base}/img/${i}`);
    const summary = await downloadImages(urls, dest, { ...fast, maxImages: 4, concurrency: 3 });
    expect(summary.ok).toBe(4);
    expect(summary.notAttempted).toBe(6);
    const files = (await fs.readdir(dest)).filter((f) => f.endsWith('.jpg'));
    expect(files).toHaveLength(4);
    expect((await fs.readdir(dest)).some((f) => f.endsWith('.part'))).toBe(false);
    // The cap counts images already there: resuming with a higher cap continues.
    const more = await downloadImages(urls, dest, { ...fast, maxImages: 6 });
    expect([more.existing, more.ok]).toEqual([4, 2]);
  });

  it('reads a CSV with a url column and honours an abort signal', async () => {
    const dest = await tempDir();
    const csv = path.join(dest, '..', `${path.basename(dest)}.csv`);
    await fs.writeFile(csv, `id,url\n1,${base}/img/7\n2,${base}/slow\n3,${base}/img/8\n`);
    const controller = new AbortController();
    const summary = await downloadImages(csv, dest, {
      timeoutMs: 3000,
      concurrency: 1,
      onProgress: (p) => { if (p.result.status === 'ok') setTimeout(() => controller.abort(), 50); },
      signal: controller.signal,
    });
    expect(summary.aborted).toBe(true);
    expect(summary.ok).toBe(1);
    expect(summary.notAttempted).toBe(2);
    expect((await fs.readdir(dest)).sort()).toEqual(['00000000.jpg', 'download-manifest.json']);
    await fs.rm(csv);
  });

  it('rejects bad options and a missing list file with clear errors', async () => {
    await expect(downloadImages('/no/such/urls.txt', os.tmpdir())).rejects.toThrow(/URL list not found: \/no\/such\/urls.txt/);
    await expect(downloadImages([], os.tmpdir(), { concurrency: 0 })).rejects.toThrow(/concurrency/);
  });
});
