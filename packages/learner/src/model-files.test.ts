import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFile, readdir, rm, truncate, writeFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { downloadModel, loadLayersModelFrom, readModelFolder } from './model-cache.js';
import { ARCH_CHECKSUMS } from './arch-checksums.js';
import { MOBILENET_DIR, makeTinyModelFolder, tempDir, wasm } from './test-support/fixtures.js';

let server: Server;
let base = '';
let tiny = '';
const hits = new Map<string, number>();
/** Paths the server should break: 'partial' sends half and closes, 'corrupt' flips bytes. */
const faults = new Map<string, 'partial' | 'corrupt' | 'missing'>();

beforeAll(async () => {
  await wasm();
  tiny = await makeTinyModelFolder();
  server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const [, root, ...rest] = url.pathname.split('/');
    const dir = root === 'mobilenet' ? MOBILENET_DIR : tiny;
    const fault = faults.get(url.pathname);
    let body: Buffer;
    try {
      if (fault === 'missing') throw new Error('gone');
      body = await readFile(path.join(dir, ...rest));
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    if (fault === 'corrupt') {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    if (fault === 'partial') {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, body.length >> 1));
      setTimeout(() => res.destroy(), 50);
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('readModelFolder', () => {
  it('loads the pinned MobileNet with every checksum verified', async () => {
    const a = await readModelFolder(MOBILENET_DIR, ARCH_CHECKSUMS['mobilenet_v1_0.75']);
    expect((a.weightData as ArrayBuffer).byteLength).toBe(10_407_904);
    expect(a.weightSpecs!.length).toBeGreaterThan(100);
  });

  it('names a missing, truncated or corrupt shard', async () => {
    const dir = await tempDir();
    await cp(tiny, dir, { recursive: true });
    await truncate(path.join(dir, 'group1-shard1of1'), 100);
    await expect(readModelFolder(dir)).rejects.toThrow(/group1-shard1of1.*holds 100 bytes but the manifest needs/);
    await rm(path.join(dir, 'group1-shard1of1'));
    await expect(readModelFolder(dir)).rejects.toThrow(/group1-shard1of1: weight shard listed in model.json cannot be read \(ENOENT\)/);
    await writeFile(path.join(dir, 'model.json'), '{"modelTopology": {');
    await expect(readModelFolder(dir)).rejects.toThrow(/model.json: is not valid JSON/);
    await expect(readModelFolder(path.join(dir, 'nope'))).rejects.toThrow(/nope\/model.json: cannot be read \(ENOENT\)/);
  });

  it('rejects a shard whose sha256 differs', async () => {
    const bad = { ...ARCH_CHECKSUMS['mobilenet_v1_0.75'], 'group3-shard1of1': '0'.repeat(64) };
    await expect(readModelFolder(MOBILENET_DIR, bad)).rejects.toThrow(/group3-shard1of1: sha256 does not match/);
  });
});

describe('downloadModel (local http server)', () => {
  it('downloads, verifies against the arch checksums, caches, and reuses the cache', async () => {
    const cacheDir = await tempDir();
    const url = `${base}/mobilenet/model.json`;
    const downloaded: string[] = [];
    const dir = await downloadModel(url, { cacheDir, checksums: ARCH_CHECKSUMS['mobilenet_v1_0.75'], onDownload: (f) => downloaded.push(f) });
    expect(downloaded.length).toBe(56);
    const again: string[] = [];
    expect(await downloadModel(url, { cacheDir, checksums: ARCH_CHECKSUMS['mobilenet_v1_0.75'], onDownload: (f) => again.push(f) })).toBe(dir);
    expect(again).toEqual([]);
    // A cached file damaged on disk is detected and fetched again.
    const shard = path.join(dir, 'group5-shard1of1');
    const bytes = await readFile(shard);
    bytes[10] ^= 0xff;
    await writeFile(shard, bytes);
    const third: string[] = [];
    await downloadModel(url, { cacheDir, onDownload: (f) => third.push(f) });
    expect(third.length).toBe(56);
    expect((await readFile(shard))[10]).toBe(bytes[10]! ^ 0xff);
  });

  it('detects a partial download and caches nothing', async () => {
    const cacheDir = await tempDir();
    faults.set('/tiny/group1-shard1of1', 'partial');
    try {
      await expect(downloadModel(`${base}/tiny/model.json`, { cacheDir })).rejects.toThrow(/cut off|partial/);
    } finally {
      faults.delete('/tiny/group1-shard1of1');
    }
    const files = await readdir(cacheDir, { recursive: true });
    expect(files.filter((f) => f.endsWith('shard1of1') || f.endsWith('bears-cache.json'))).toEqual([]);
  });

  it('detects a corrupt download by checksum and a missing shard by HTTP status', async () => {
    const cacheDir = await tempDir();
    faults.set('/mobilenet/group2-shard1of1', 'corrupt');
    try {
      await expect(downloadModel(`${base}/mobilenet/model.json`, { cacheDir, checksums: ARCH_CHECKSUMS['mobilenet_v1_0.75'] })).rejects.toThrow(/group2-shard1of1: sha256 does not match/);
    } finally {
      faults.delete('/mobilenet/group2-shard1of1');
    }
    faults.set('/tiny/group1-shard1of1', 'missing');
    try {
      await expect(downloadModel(`${base}/tiny/model.json`, { cacheDir })).rejects.toThrow(/group1-shard1of1: HTTP 404/);
    } finally {
      faults.delete('/tiny/group1-shard1of1');
    }
  });

  it('loads a layers model from a URL', async () => {
    const cacheDir = await tempDir();
    const model = await loadLayersModelFrom(`${base}/tiny/model.json`, { cacheDir });
    expect(model.getLayer('feat').outputShape).toEqual([null, 8, 8, 16]);
    model.dispose();
  });
});
