import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSummary } from './dataset.js';
import { ImageDataset } from './dataset-node.js';
import { cleanupTempDirs, colourDataset, solidImage, tempDir } from './test-helpers.js';

const BEARS = fileURLToPath(new URL('../../../../shared/data/bears', import.meta.url));

afterAll(cleanupTempDirs);

describe('ImageDataset.fromFolder', () => {
  it('reads class subfolders with case-insensitive extensions, sorted classes and absolute paths', async () => {
    const root = await colourDataset({ red: 12, blue: 11 });
    await solidImage(path.join(root, 'green', 'A.JPG'), [30, 200, 60]);
    await solidImage(path.join(root, 'green', 'b.Png'), [30, 200, 60]);
    await solidImage(path.join(root, 'green', 'nested', 'c.jpeg'), [30, 200, 60]);
    await fs.writeFile(path.join(root, 'green', 'notes.php'), '');
    await solidImage(path.join(root, '.quarantine', 'x.png'), [0, 0, 0]);
    await fs.mkdir(path.join(root, 'urls'));
    await fs.writeFile(path.join(root, 'urls', 'urls_red.txt'), 'http://x/1\n');
    const ds = await ImageDataset.fromFolder(root, { validPct: 0.25, size: 32 });
    expect(ds.classes).toEqual(['blue', 'green', 'red']);
    expect(ds.c).toBe(3);
    const all = [...ds.train, ...ds.valid];
    expect(all).toHaveLength(26);
    expect(all.every((it) => path.isAbsolute(it.file))).toBe(true);
    expect(all.filter((it) => it.label === 1).map((it) => path.basename(it.file)).sort()).toEqual(['A.JPG', 'b.Png', 'c.jpeg']);
    expect(ds.warnings.some((w) => w.includes(path.join(root, 'urls')) && /no images/.test(w))).toBe(true);
    expect(ds.warnings.some((w) => /notes\.php/.test(w))).toBe(true);
    expect(ds.warnings.some((w) => /'green' has only 3/.test(w))).toBe(true);
    const s = ds.summary();
    expect(s.counts.red!.total).toBe(12);
    expect(s.counts.blue!.train + s.counts.blue!.valid).toBe(11);
    expect(s.train + s.valid).toBe(26);
    expect(formatSummary(s)).toMatch(/class\s+train\s+valid\s+total/);
  });

  it('splits deterministically per seed, and adding files moves no existing file', async () => {
    const root = await colourDataset({ red: 30, blue: 30 });
    const a = await ImageDataset.fromFolder(root);
    const b = await ImageDataset.fromFolder(root);
    expect(a.valid).toEqual(b.valid);
    const c = await ImageDataset.fromFolder(root, { seed: 7 });
    expect(c.valid.map((i) => i.file)).not.toEqual(a.valid.map((i) => i.file));
    for (let i = 0; i < 10; i++) await solidImage(path.join(root, 'red', `added_${i}.png`), [220, 30, 30]);
    const d = await ImageDataset.fromFolder(root);
    const validNow = new Set(d.valid.map((i) => i.file));
    for (const it of a.valid) expect(validNow.has(it.file)).toBe(true);
    for (const it of a.train) expect(validNow.has(it.file)).toBe(false);
  });

  it('stratifies on request', async () => {
    const root = await colourDataset({ red: 20, blue: 10 });
    const ds = await ImageDataset.fromFolder(root, { stratify: true, validPct: 0.2 });
    expect(ds.valid.filter((i) => i.label === 1)).toHaveLength(4);
    expect(ds.valid.filter((i) => i.label === 0)).toHaveLength(2);
    expect(ds.summary().splitBy).toBe('stratified-hash');
  });

  it('uses explicit train/ and valid/ folders', async () => {
    const root = await tempDir();
    for (const split of ['train', 'valid']) {
      for (const cls of ['cat', 'dog']) for (let i = 0; i < 3; i++) await solidImage(path.join(root, split, cls, `${i}.png`), [i * 50, 0, 0]);
    }
    const ds = await ImageDataset.fromFolder(root);
    expect(ds.classes).toEqual(['cat', 'dog']);
    expect([ds.train.length, ds.valid.length]).toEqual([6, 6]);
    expect(ds.valid.every((i) => i.file.includes(`${path.sep}valid${path.sep}`))).toBe(true);
    expect(ds.summary().splitBy).toBe('folders');
  });

  it('gives clear errors naming the path', async () => {
    await expect(ImageDataset.fromFolder('/no/such/bears')).rejects.toThrow(/dataset folder not found: \/no\/such\/bears/);
    const one = await colourDataset({ red: 3 });
    await expect(ImageDataset.fromFolder(one)).rejects.toThrow(new RegExp(`at least two classes, but ${one} has only 'red'`));
    const empty = await colourDataset({ red: 3, blue: 3 });
    await fs.mkdir(path.join(empty, 'grizzly'));
    await expect(ImageDataset.fromFolder(empty)).rejects.toThrow(new RegExp(`Class folder ${path.join(empty, 'grizzly')} is empty`));
    const flat = await tempDir();
    await solidImage(path.join(flat, 'a.png'), [1, 2, 3]);
    await expect(ImageDataset.fromFolder(flat)).rejects.toThrow(/No class folders/);
    await expect(ImageDataset.fromFolder(path.join(flat, 'a.png'))).rejects.toThrow(/is a file/);
    await expect(ImageDataset.fromFolder(empty, { validPct: 1 })).rejects.toThrow(/validPct/);
    await expect(ImageDataset.fromFolder(empty, { classes: ['red', 'teddy'] })).rejects.toThrow(/teddy not found/);
  });

  it('inspect() measures sizes and finds unreadable files', async () => {
    const root = await colourDataset({ red: 12, blue: 4 }, { width: 50, height: 20 });
    await fs.writeFile(path.join(root, 'red', 'broken.jpg'), '<html>404</html>');
    const ds = await ImageDataset.fromFolder(root, { size: 32 });
    const s = await ds.inspect();
    expect(s.sizes).toMatchObject({ count: 16, width: { min: 50, max: 50 }, height: { min: 20, max: 20 } });
    expect(s.sizes!.shortSide['<32']).toBe(16);
    expect(s.unreadable!.map((u) => path.basename(u.file))).toEqual(['broken.jpg']);
    expect(s.warnings.some((w) => /class imbalance: 'red' has 13 images but 'blue' only 4/.test(w))).toBe(true);
    expect(s.warnings.some((w) => /broken\.jpg/.test(w))).toBe(true);
    expect(s.warnings.some((w) => /smaller than 32 px/.test(w))).toBe(true);
  });
});

describe('ImageDataset.fromCsv', () => {
  it("reads fastai cleaner output (name,label with '\\' separators)", async () => {
    const root = await colourDataset({ red: 4, blue: 4 });
    const rows = ['name,label', 'red\\red_000.png,red', 'red\\red_001.png,blue', 'blue\\blue_000.png,blue', 'blue\\blue_001.png,blue', 'red\\red_002.png,red'];
    await fs.writeFile(path.join(root, 'cleaned.csv'), `${rows.join('\r\n')}\r\n`);
    const ds = await ImageDataset.fromCsv(path.join(root, 'cleaned.csv'), { validPct: 0.4 });
    expect(ds.classes).toEqual(['blue', 'red']);
    const all = [...ds.train, ...ds.valid];
    expect(all).toHaveLength(5);
    // The relabel in the CSV wins over the folder name.
    expect(all.find((i) => i.file.endsWith('red_001.png'))!.label).toBe(0);
    expect(all.every((i) => path.isAbsolute(i.file))).toBe(true);
  });

  it('errors on missing files, naming them, or skips them with a warning', async () => {
    const root = await colourDataset({ red: 2, blue: 2 });
    const csv = path.join(root, 'labels.csv');
    await fs.writeFile(csv, 'name,label\nred/red_000.png,red\nred/gone.png,red\nblue/blue_000.png,blue\n');
    await expect(ImageDataset.fromCsv(csv)).rejects.toThrow(new RegExp(`names 1 file\\(s\\) missing under ${root}: ${path.join(root, 'red', 'gone.png')}`));
    const ds = await ImageDataset.fromCsv(csv, { missing: 'skip' });
    expect(ds.train.length + ds.valid.length).toBe(2);
    expect(ds.warnings.some((w) => w.includes('gone.png'))).toBe(true);
    await fs.writeFile(csv, 'file,whatever\na,b\n');
    await expect(ImageDataset.fromCsv(csv)).rejects.toThrow(/needs a name and a label column/);
    await expect(ImageDataset.fromCsv(path.join(root, 'nope.csv'))).rejects.toThrow(/CSV not found/);
  });

  it('honours an is_valid column', async () => {
    const root = await colourDataset({ red: 2, blue: 2 });
    const csv = path.join(root, 'split.csv');
    await fs.writeFile(csv, 'name,label,is_valid\nred/red_000.png,red,False\nred/red_001.png,red,True\nblue/blue_000.png,blue,0\nblue/blue_001.png,blue,1\n');
    const ds = await ImageDataset.fromCsv(csv);
    expect(ds.valid.map((i) => path.basename(i.file)).sort()).toEqual(['blue_001.png', 'red_001.png']);
    expect(ds.summary().splitBy).toBe('csv-column');
  });
});

describe('the lesson data', () => {
  it('reads ../shared/data/bears: 3 classes, 544 images, urls/ skipped', async () => {
    const ds = await ImageDataset.fromFolder(BEARS);
    expect(ds.classes).toEqual(['black', 'grizzly', 'teddy']);
    const s = ds.summary();
    expect([s.counts.black!.total, s.counts.grizzly!.total, s.counts.teddy!.total]).toEqual([182, 178, 184]);
    expect(s.valid).toBeGreaterThan(544 * 0.15);
    expect(s.valid).toBeLessThan(544 * 0.25);
    expect(ds.warnings.some((w) => /urls/.test(w))).toBe(true);
    expect(ds.warnings.some((w) => /imbalance|only/.test(w))).toBe(false);
  });

  it('reads the ActionMichael cleaned.csv against a folder that lacks most files', async () => {
    const csv = path.join(BEARS, 'urls', 'ActionMichael', 'cleaned.csv');
    await expect(ImageDataset.fromCsv(csv, { root: path.join(BEARS) })).rejects.toThrow(/missing under/);
  });
});

describe('the root ImageDataset', () => {
  it('points fromFolder and fromCsv at @bears/data/node', async () => {
    const { ImageDataset } = await import('./dataset.js');
    await expect(ImageDataset.fromFolder('bears')).rejects.toThrow(/needs Node: import \{ ImageDataset \} from '@bears\/data\/node'/);
    await expect(ImageDataset.fromCsv('labels.csv')).rejects.toThrow(/@bears\/data\/node/);
  });
});
