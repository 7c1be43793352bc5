import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipStored } from './unzip.js';
import { crc32, zipFiles } from './zip.js';

describe('zipFiles', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  const weights = new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff);
  const files = { 'bears-model/metadata.json': new TextEncoder().encode('{"a":1}'), 'bears-model/weights.bin': weights, 'bears-model/ünï.txt': new Uint8Array([1]) };

  it('round-trips through unzipStored, CRCs checked, and a flipped byte is caught', () => {
    const zip = zipFiles(files);
    expect(unzipStored(zip)).toEqual(files);
    const bad = zip.slice();
    bad[200] ^= 0xff; // inside weights.bin
    expect(() => unzipStored(bad)).toThrow(/weights\.bin fails its CRC check/);
  });

  // Info-ZIP's unzip, where installed (Debian: apt-get install unzip), as an outside reader.
  it.runIf(existsSync('/usr/bin/unzip'))('writes an archive that unzip extracts byte for byte', () => {
    const zip = zipFiles(files);
    const dir = mkdtempSync(join(tmpdir(), 'bears-zip-'));
    try {
      writeFileSync(join(dir, 'm.zip'), zip);
      expect(execFileSync('unzip', ['-t', join(dir, 'm.zip')], { encoding: 'utf8' })).toMatch(/No errors detected/);
      execFileSync('unzip', ['-q', join(dir, 'm.zip'), '-d', join(dir, 'out')]);
      expect(readFileSync(join(dir, 'out/bears-model/metadata.json'), 'utf8')).toBe('{"a":1}');
      expect(new Uint8Array(readFileSync(join(dir, 'out/bears-model/weights.bin')))).toEqual(weights);
      expect(readFileSync(join(dir, 'out/bears-model/ünï.txt'))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses paths that would leave the folder', () => {
    for (const bad of ['/etc/x', '../x', 'a//b', '']) expect(() => zipFiles({ [bad]: new Uint8Array() })).toThrow(/bad path/);
  });
});
