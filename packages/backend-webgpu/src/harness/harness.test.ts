import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findChromium } from './chromium.js';
import { encodeRgbPng } from './png.js';
import { serveStatic } from './server.js';

describe('findChromium', () => {
  it('honours BEARS_CHROMIUM and rejects a wrong one', () => {
    expect(findChromium({ BEARS_CHROMIUM: '/opt/chrome' }, (p) => p === '/opt/chrome')).toBe('/opt/chrome');
    expect(() => findChromium({ BEARS_CHROMIUM: '/nope' }, () => false)).toThrow(/BEARS_CHROMIUM=\/nope does not exist/);
  });
  it('says how to install Chromium when none is found', () => {
    expect(() => findChromium({}, () => false)).toThrow(/Chromium not found .*apt-get install -y chromium/);
    expect(findChromium({}, (p) => p === '/usr/bin/chromium')).toBe('/usr/bin/chromium');
  });
});

describe('serveStatic', () => {
  it('serves memory files and a directory on loopback, cross-origin isolated, and nothing outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bears-serve-'));
    writeFileSync(join(dir, 'x.wasm'), Buffer.from([0, 97, 115, 109]));
    const server = await serveStatic({ files: new Map([['/a.js', 'export {}']]), dirs: { '/wasm/': dir } });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const js = await fetch(`${server.url}a.js`);
      expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
      expect(js.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(js.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(await js.text()).toBe('export {}');
      const wasm = await fetch(`${server.url}wasm/x.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
      expect((await fetch(`${server.url}wasm/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
      expect((await fetch(`${server.url}missing.js`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('encodeRgbPng', () => {
  it('writes a valid PNG signature and IHDR, and checks its input size', () => {
    const png = encodeRgbPng(new Uint8Array(2 * 3 * 3), 2, 3);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(Buffer.from(png.subarray(12, 16)).toString('ascii')).toBe('IHDR');
    expect(() => encodeRgbPng(new Uint8Array(5), 2, 3)).toThrow(/expected 18 bytes for 2x3 RGB, got 5/);
  });
});
