import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkKey, checkLabel, freeKey, keyInClass, realRoot, resolveInside, trashKey } from './dataset-paths.js';
import { parseJournal } from './journal.js';

describe('dataset paths', () => {
  it('accepts plain relative keys and refuses every escape', () => {
    expect(checkKey('grizzly/x.jpg')).toBe('grizzly/x.jpg');
    expect(checkKey('train/grizzly/x 1%.jpg')).toBe('train/grizzly/x 1%.jpg');
    for (const bad of ['', '../x.jpg', 'a/../../x.jpg', '/etc/passwd', 'C:/x.jpg', 'c:x.jpg', 'a\\..\\x.jpg', 'a//x.jpg', './x.jpg', 'a/.',
      '%2e%2e/x.jpg', 'a%2Fb.jpg', 'a%5c..', 'x.jpg\0.png', '.hidden/x.jpg', 'a/.x.jpg', '.bears-clean/journal.jsonl', '.bears-clean/trash/a/x.jpg']) {
      expect(() => checkKey(bad), JSON.stringify(bad)).toThrow(/refused path/);
    }
    expect(checkKey('.bears-clean/trash/a/x.jpg', { allowCleanDir: true })).toBe('.bears-clean/trash/a/x.jpg');
    expect(() => checkKey('.bears-clean/trash/../../x', { allowCleanDir: true })).toThrow();
  });

  it('only known classes that can be folder names', () => {
    expect(checkLabel('teddy', ['black', 'teddy'])).toBe('teddy');
    expect(() => checkLabel('brown', ['black', 'teddy'])).toThrow(/unknown class/);
    expect(() => checkLabel('../x', ['../x'])).toThrow(/cannot be a folder name/);
  });

  it('relabel targets the sibling class folder in flat and train/valid layouts; trash mirrors the key', () => {
    expect(keyInClass('grizzly/x.jpg', 'black')).toBe('black/x.jpg');
    expect(keyInClass('train/grizzly/x.jpg', 'black')).toBe('train/black/x.jpg');
    expect(trashKey('train/grizzly/x.jpg')).toBe('.bears-clean/trash/train/grizzly/x.jpg');
  });

  it('resolves inside the root, refuses links leading out, and finds free names', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'bears-paths-'));
    const outside = mkdtempSync(path.join(tmpdir(), 'bears-outside-'));
    mkdirSync(path.join(root, 'a'));
    writeFileSync(path.join(root, 'a/x.jpg'), 'x');
    writeFileSync(path.join(root, 'a/x_1.jpg'), 'x');
    symlinkSync(outside, path.join(root, 'linkdir'));
    symlinkSync(path.join(root, 'a/x.jpg'), path.join(root, 'a/inside-link.jpg'));
    const real = await realRoot(root);
    expect(await resolveInside(real, 'a/x.jpg', { mustExist: true })).toBe(path.join(real, 'a/x.jpg'));
    expect(await resolveInside(real, 'a/inside-link.jpg', { mustExist: true })).toBe(path.join(real, 'a/inside-link.jpg'));
    expect(await resolveInside(real, 'b/new.jpg')).toBe(path.join(real, 'b/new.jpg')); // not there yet: its folder is checked
    await expect(resolveInside(real, 'linkdir/y.jpg')).rejects.toThrow(/leads outside/);
    await expect(resolveInside(real, 'a/missing.jpg', { mustExist: true })).rejects.toThrow(/not found/);
    expect(await freeKey(real, 'a/x.jpg')).toBe('a/x_2.jpg');
    expect(await freeKey(real, 'a/y.jpg', (k) => k === 'a/y.jpg')).toBe('a/y_1.jpg');
  });
});

describe('journal parsing', () => {
  it('keeps whole records and drops a torn tail', () => {
    const line = JSON.stringify({ type: 'done', seq: 1 });
    expect(parseJournal(`${line}\n`)).toMatchObject({ records: [{ type: 'done', seq: 1 }], dropped: 0 });
    const torn = parseJournal(`${line}\n{"type":"action","se`);
    expect(torn).toMatchObject({ records: [{ seq: 1 }], dropped: 1, goodBytes: line.length + 1 });
    expect(parseJournal(`${line}\nnot json\n`).dropped).toBe(1);
    expect(() => parseJournal(`${line}\nnot json\n${line}\n`)).toThrow(/damaged at line 2/);
  });
});
