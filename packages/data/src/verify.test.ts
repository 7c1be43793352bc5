import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { sniffImageType } from '@bears/backend';
import { verifyImages } from './verify.js';
import { cleanupTempDirs, tempDir } from './test-helpers.js';

afterAll(cleanupTempDirs);

const DIRTY = fileURLToPath(new URL('../../../../shared/data/bears-dirty', import.meta.url));
const BROKEN = ['black/syn_truncated.jpg', 'grizzly/syn_html_page.jpg', 'teddy/pz_00000121.php', 'teddy/syn_empty.jpg'];

/** A private copy: tests never modify ../shared. */
async function copyDirty(): Promise<string> {
  const dest = await tempDir('bears-dirty-');
  await fs.cp(DIRTY, dest, { recursive: true });
  // ../shared is read-only; the copy must be writable.
  for (const f of await fs.readdir(dest, { recursive: true })) await fs.chmod(path.join(dest, f), 0o755);
  await fs.chmod(dest, 0o755);
  return dest;
}

async function listRel(dir: string): Promise<string[]> {
  return ((await fs.readdir(dir, { recursive: true })) as string[]).filter((f) => !f.startsWith('.quarantine')).map((f) => f.split(path.sep).join('/')).sort();
}

describe('verifyImages on bears-dirty', () => {
  it('flags exactly the 4 broken files from its README when decoding every file', async () => {
    const dir = await copyDirty();
    const before = await listRel(dir);
    const seen: number[] = [];
    const report = await verifyImages(dir, { dryRun: true, onProgress: (p) => seen.push(p.done) });
    expect(seen).toHaveLength(67);
    expect(Math.max(...seen)).toBe(67);
    const bad = report.entries.filter((e) => e.verdict === 'bad').map((e) => e.file).sort();
    expect(bad).toEqual(BROKEN);
    expect(report.checked).toBe(67);
    expect(report.checked - report.bad).toBe(63);
    expect(report.skipped).toEqual(['README.md']);
    const why = Object.fromEntries(report.entries.map((e) => [e.file, e.reason]));
    expect(why['black/syn_truncated.jpg']).toMatch(/jpeg data is corrupt or truncated/);
    expect(why['grizzly/syn_html_page.jpg']).toMatch(/HTML/);
    expect(why['teddy/syn_empty.jpg']).toMatch(/empty/);
    // The odd-but-valid ones are found and would be fixed.
    const fixed = report.entries.filter((e) => e.verdict === 'fixed').map((e) => e.file).sort();
    expect(fixed).toEqual(['black/ya_00000031.jpg', 'grizzly/pz_00000022.jpg;w=960', 'grizzly/pz_00000064.jpg']);
    // A dry run changes nothing.
    expect(await listRel(dir)).toEqual(before);
  });

  it('sees 3 failures when restricted to image extensions', async () => {
    const dir = await copyDirty();
    const report = await verifyImages(dir, { dryRun: true, extensions: ['.jpg', '.jpeg', '.png', '.webp', '.gif'] });
    expect(report.checked).toBe(65);
    expect(report.bad).toBe(3);
    expect(report.skipped.sort()).toEqual(['README.md', 'grizzly/pz_00000022.jpg;w=960', 'teddy/pz_00000121.php']);
  });

  it('quarantines bad files, converts odd ones, writes a report, deletes nothing', async () => {
    const dir = await copyDirty();
    const report = await verifyImages(dir);
    expect(report.bad).toBe(4);
    const q = path.join(dir, '.quarantine');
    for (const f of BROKEN) {
      await expect(fs.access(path.join(dir, f))).rejects.toThrow();
      await expect(fs.access(path.join(q, f))).resolves.toBeUndefined();
    }
    // WEBP-as-.jpg and grayscale PNG-as-.jpg become real 3-channel JPEGs; the odd name gets a clean one.
    for (const f of ['black/ya_00000031.jpg', 'grizzly/pz_00000064.jpg', 'grizzly/pz_00000022.jpg']) {
      const bytes = await fs.readFile(path.join(dir, f));
      expect(sniffImageType(bytes)).toBe('jpeg');
      const meta = await sharp(bytes).metadata();
      expect([meta.channels, meta.space]).toEqual([3, 'srgb']);
    }
    await expect(fs.access(path.join(dir, 'grizzly/pz_00000022.jpg;w=960'))).rejects.toThrow();
    const entry = report.entries.find((e) => e.file === 'grizzly/pz_00000022.jpg;w=960')!;
    expect(entry).toMatchObject({ verdict: 'fixed', actions: ['renamed'], newFile: 'grizzly/pz_00000022.jpg' });
    // Originals of converted files are kept, byte for byte.
    const orig = await fs.readFile(path.join(q, 'originals/black/ya_00000031.jpg'));
    expect(orig.equals(await fs.readFile(path.join(DIRTY, 'black/ya_00000031.jpg')))).toBe(true);
    const saved = JSON.parse(await fs.readFile(path.join(q, 'verify-report.json'), 'utf8'));
    expect(saved.bad).toBe(4);
    expect(saved.entries).toHaveLength(67);
    // A second pass finds a clean folder.
    const again = await verifyImages(dir, { reportFile: false });
    expect([again.bad, again.fixed, again.ok]).toEqual([0, 0, 63]);
  });

  it('deletes bad files with delete: true', async () => {
    const dir = await copyDirty();
    const report = await verifyImages(dir, { delete: true, reportFile: false });
    expect(report.entries.filter((e) => e.deleted).map((e) => e.file).sort()).toEqual(BROKEN);
    for (const f of BROKEN) await expect(fs.access(path.join(dir, f))).rejects.toThrow();
    await expect(fs.access(path.join(dir, '.quarantine', BROKEN[0]!))).rejects.toThrow();
  });
});

describe('verifyImages conversions', () => {
  it('converts CMYK, alpha, grayscale and 16-bit images and downsizes to maxSize keeping aspect', async () => {
    const dir = await tempDir('bears-verify-');
    const rgb = { width: 120, height: 80, channels: 3 as const, background: { r: 200, g: 30, b: 40 } };
    await sharp({ create: rgb }).jpeg().toFile(path.join(dir, 'plain.jpg'));
    await sharp({ create: rgb }).toColourspace('cmyk').jpeg().toFile(path.join(dir, 'cmyk.jpg'));
    await sharp({ create: { ...rgb, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } }).png().toFile(path.join(dir, 'alpha.png'));
    await sharp({ create: rgb }).toColourspace('b-w').png().toFile(path.join(dir, 'gray.PNG'));
    await sharp({ create: rgb }).toColourspace('rgb16').png().toFile(path.join(dir, 'deep.png'));
    await sharp({ create: { ...rgb, width: 1000, height: 400 } }).jpeg().toFile(path.join(dir, 'wide.jpeg'));
    await sharp({ create: rgb }).jpeg().toFile(path.join(dir, 'photo.png')); // JPEG named .png
    const report = await verifyImages(dir, { maxSize: 500, reportFile: false });
    const by = Object.fromEntries(report.entries.map((e) => [e.file, e]));
    expect(by['plain.jpg']!.verdict).toBe('ok');
    expect(by['cmyk.jpg']).toMatchObject({ verdict: 'fixed', actions: ['converted'], reason: expect.stringMatching(/CMYK/) });
    expect(by['alpha.png']).toMatchObject({ verdict: 'fixed', newFile: 'alpha.jpg' });
    expect(by['gray.PNG']!.reason).toMatch(/grayscale/);
    expect(by['deep.png']!.reason).toMatch(/ushort|rgb16/);
    expect(by['wide.jpeg']).toMatchObject({ verdict: 'fixed', actions: ['resized'], width: 500, height: 200 });
    expect(by['photo.png']).toMatchObject({ actions: ['renamed'], newFile: 'photo.jpg' });
    const names = (await fs.readdir(dir)).filter((f) => !f.startsWith('.')).sort();
    expect(names).toEqual(['alpha.jpg', 'cmyk.jpg', 'deep.jpg', 'gray.jpg', 'photo.jpg', 'plain.jpg', 'wide.jpeg']);
    for (const n of names) {
      const m = await sharp(path.join(dir, n)).metadata();
      expect([n, m.format, m.channels, m.space, m.depth]).toEqual([n, 'jpeg', 3, 'srgb', 'uchar']);
    }
    // Alpha is flattened on white: the half-transparent blue turns light blue.
    const { data } = await sharp(path.join(dir, 'alpha.jpg')).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(100);
    expect(data[2]).toBeGreaterThan(240);
  });

  it('keeps formats with format: keep, and never overwrites another file when renaming', async () => {
    const dir = await tempDir('bears-verify-');
    const rgb = { width: 20, height: 20, channels: 3 as const, background: '#808080' };
    await sharp({ create: rgb }).webp().toFile(path.join(dir, 'a.jpg'));
    await sharp({ create: rgb }).jpeg().toFile(path.join(dir, 'a.webp'));
    const report = await verifyImages(dir, { format: 'keep', reportFile: false });
    const by = Object.fromEntries(report.entries.map((e) => [e.file, e]));
    expect(by['a.jpg']!.newFile).toMatch(/^a(_1)?\.webp$/);
    expect(by['a.webp']!.newFile).toMatch(/^a(_1)?\.jpg$/);
    const names = (await fs.readdir(dir)).filter((f) => !f.startsWith('.'));
    expect(names).toHaveLength(2);
    for (const n of names) expect(path.extname(n).slice(1)).toBe((await sharp(path.join(dir, n)).metadata()).format === 'jpeg' ? 'jpg' : 'webp');
  });

  it('names a missing folder', async () => {
    await expect(verifyImages('/no/such/bears')).rejects.toThrow(/image folder not found: \/no\/such\/bears/);
  });
});
