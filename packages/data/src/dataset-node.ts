import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { parseCsv } from './csv.js';
import { checkOptions, codepoint, ImageDataset as CoreImageDataset, pickClasses, sizeStats, type CsvOptions, type DatasetSummary, type Entry, type FolderOptions } from './dataset.js';
import { hasImageExtension, mapLimit, requireDir, toPosix, walkFiles } from './fs-utils.js';
import { imageExtensions } from './files.js';
import { readImageFile } from './image.js';

/**
 * The dataset with Node's folder and CSV readers (@bears/data/node). Same class as the root
 * ImageDataset (it extends it), plus fromFolder, fromCsv and inspect(), and items read from disk.
 */
export class ImageDataset extends CoreImageDataset {
  /** @internal use fromFolder or fromCsv. */
  constructor(init: ConstructorParameters<typeof CoreImageDataset>[0]) {
    super(init);
    this.read = readImageFile;
  }

  /**
   * One subfolder per class (`root/black/*.jpg`, ...), classes sorted; or `root/train/<class>`
   * and `root/valid/<class>`. Hidden folders are ignored; a folder without images (like `urls/`)
   * is skipped with a warning; an empty class folder or fewer than two classes is an error.
   */
  static async fromFolder(root: string, options: FolderOptions = {}): Promise<ImageDataset> {
    checkOptions(options);
    const abs = path.resolve(root);
    await requireDir(abs, 'dataset folder');
    const extensions = (options.extensions ?? imageExtensions).map((e) => e.toLowerCase());
    const dirs = await subdirs(abs);
    const trainName = options.trainFolder ?? 'train';
    const validNames = options.validFolder ? [options.validFolder] : ['valid', 'validation', 'val'];
    const trainDir = dirs.find((d) => d === trainName);
    const validDir = dirs.find((d) => validNames.includes(d));
    const warnings: string[] = [];

    if (trainDir && validDir) {
      const t = await scanClassFolders(path.join(abs, trainDir), extensions, warnings, options.classes);
      const v = await scanClassFolders(path.join(abs, validDir), extensions, warnings, options.classes);
      const names = pickClasses([...new Set([...t.keys(), ...v.keys()])], options.classes, abs);
      for (const name of v.keys()) if (!t.has(name)) warnings.push(`class '${name}' has images in ${path.join(abs, validDir)} but none in ${path.join(abs, trainDir)}`);
      const entries: Entry[] = [];
      names.forEach((name, label) => {
        for (const file of t.get(name) ?? []) entries.push({ file, key: toPosix(path.relative(abs, file)), label, valid: false });
        for (const file of v.get(name) ?? []) entries.push({ file, key: toPosix(path.relative(abs, file)), label, valid: true });
      });
      const others = dirs.filter((d) => d !== trainDir && d !== validDir);
      if (others.length) warnings.push(`folders beside ${trainDir}/ and ${validDir}/ were ignored: ${others.join(', ')}`);
      return this.build(abs, names, entries, options, warnings, 'folders');
    }

    const byClass = await scanClassFolders(abs, extensions, warnings, options.classes);
    const names = pickClasses([...byClass.keys()], options.classes, abs);
    const entries: Entry[] = [];
    names.forEach((name, label) => {
      for (const file of byClass.get(name)!) entries.push({ file, key: toPosix(path.relative(abs, file)), label });
    });
    return this.build(abs, names, entries, options, warnings, options.stratify ? 'stratified-hash' : 'hash');
  }

  /**
   * A CSV of `name,label` rows, the format fastai's ImageCleaner writes (Windows '\' separators
   * are fine), names relative to `root`. A `is_valid`/`valid` column, if present, sets the split.
   */
  static async fromCsv(csvPath: string, options: CsvOptions = {}): Promise<ImageDataset> {
    checkOptions(options);
    const csvAbs = path.resolve(csvPath);
    let text: string;
    try {
      text = await fs.readFile(csvAbs, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(e.code === 'ENOENT' ? `CSV not found: ${csvAbs}` : `Cannot read CSV ${csvAbs}: ${e.message}`);
    }
    const root = path.resolve(options.root ?? path.dirname(csvAbs));
    await requireDir(root, 'image root folder');
    const rows = parseCsv(text);
    if (rows.length < 2) throw new Error(`CSV ${csvAbs} has no rows (expected a header like name,label)`);
    const header = rows[0]!.map((h) => h.trim().toLowerCase());
    const nameCol = ['name', 'fname', 'file', 'filename', 'path', 'image'].map((n) => header.indexOf(n)).find((i) => i >= 0);
    const labelCol = ['label', 'labels', 'class', 'category'].map((n) => header.indexOf(n)).find((i) => i >= 0);
    const validCol = ['is_valid', 'valid', 'split'].map((n) => header.indexOf(n)).find((i) => i >= 0);
    if (nameCol === undefined || labelCol === undefined) {
      throw new Error(`CSV ${csvAbs} needs a name and a label column (header: ${rows[0]!.join(',')})`);
    }
    const warnings: string[] = [];
    const raw: Array<{ file: string; key: string; label: string; valid?: boolean }> = [];
    const missing: string[] = [];
    for (let r = 1; r < rows.length; r++) {
      const row = rows[r]!;
      const name = (row[nameCol] ?? '').trim().replace(/\\/g, '/');
      const label = (row[labelCol] ?? '').trim();
      if (!name || !label) throw new Error(`CSV ${csvAbs} row ${r + 1}: empty ${!name ? 'name' : 'label'}`);
      const file = path.resolve(root, name);
      const validCell = validCol === undefined ? undefined : (row[validCol] ?? '').trim().toLowerCase();
      const valid = validCell === undefined ? undefined : ['1', 'true', 'yes', 'valid', 'validation'].includes(validCell);
      raw.push({ file, key: toPosix(path.relative(root, file)), label, valid });
    }
    await mapLimit(raw, 16, async (e) => {
      const st = await fs.stat(e.file).catch(() => undefined);
      if (!st?.isFile()) missing.push(e.file);
    });
    if (missing.length) {
      missing.sort();
      const list = `${missing.slice(0, 5).join(', ')}${missing.length > 5 ? `, ... (${missing.length} in all)` : ''}`;
      if ((options.missing ?? 'error') === 'error') {
        throw new Error(`CSV ${csvAbs} names ${missing.length} file(s) missing under ${root}: ${list}. Pass missing: 'skip' to leave them out.`);
      }
      warnings.push(`skipped ${missing.length} file(s) named in ${csvAbs} but missing: ${list}`);
    }
    const missingSet = new Set(missing);
    const present = raw.filter((e) => !missingSet.has(e.file));
    const names = pickClasses([...new Set(present.map((e) => e.label))], options.classes, csvAbs);
    const index = new Map(names.map((n, i) => [n, i]));
    const entries = present.filter((e) => index.has(e.label)).map((e) => ({ file: e.file, key: e.key, label: index.get(e.label)!, valid: e.valid }));
    return this.build(root, names, entries, options, warnings, validCol !== undefined ? 'csv-column' : options.stratify ? 'stratified-hash' : 'hash');
  }

  /** Reads every image header (not the pixels) for the size distribution and finds unreadable files. */
  async inspect(options: { concurrency?: number } = {}): Promise<DatasetSummary> {
    const all = [...this.train, ...this.valid];
    const dims: Array<{ file: string; width: number; height: number }> = [];
    const unreadable: Array<{ file: string; reason: string }> = [];
    await mapLimit(all, options.concurrency ?? 8, async (it) => {
      try {
        const m = await sharp(it.file).metadata();
        if (!m.width || !m.height) throw new Error('no dimensions');
        const swap = (m.orientation ?? 1) >= 5;
        dims.push({ file: it.file, width: swap ? m.height : m.width, height: swap ? m.width : m.height });
      } catch (err) {
        unreadable.push({ file: it.file, reason: (err as Error).message });
      }
    });
    this.unreadable = unreadable.sort((a, b) => (a.file < b.file ? -1 : 1));
    this.sizes = dims.length ? sizeStats(dims, this.size) : undefined;
    return this.summary();
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    // Symlinked class folders count too.
    if (e.isDirectory() || (e.isSymbolicLink() && (await fs.stat(path.join(dir, e.name)).catch(() => undefined))?.isDirectory())) names.push(e.name);
  }
  return names.sort(codepoint);
}

/** Class folder name -> image files, sorted; warns about skipped folders and files. */
async function scanClassFolders(dir: string, extensions: string[], warnings: string[], only?: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const all = await subdirs(dir);
  // With an explicit class list, other folders are not looked at (an unrelated empty folder is fine).
  const names = only ? all.filter((n) => only.includes(n)) : all;
  const loose = (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && hasImageExtension(e.name, extensions));
  if (loose.length) warnings.push(`${loose.length} image(s) directly in ${dir} are not in a class folder and were ignored (e.g. ${loose[0]!.name})`);
  if (all.length === 0) throw new Error(`No class folders in ${dir}: put each class's images in a subfolder named after the class (e.g. ${path.join(dir, 'grizzly')})`);
  for (const name of names) {
    const classDir = path.join(dir, name);
    const files = await walkFiles(classDir);
    if (files.length === 0) throw new Error(`Class folder ${classDir} is empty: add images or remove the folder`);
    const images = files.filter((f) => hasImageExtension(f, extensions));
    const others = files.filter((f) => !hasImageExtension(f, extensions) && !/\.(json|md|txt|csv)$/i.test(f));
    if (images.length === 0) {
      warnings.push(`folder ${classDir} has no images (${files.length} other file(s)); not used as a class`);
      continue;
    }
    if (others.length) {
      warnings.push(`${others.length} file(s) in ${classDir} without an image extension were skipped (e.g. ${path.basename(others[0]!)}); verifyImages can fix odd names`);
    }
    out.set(name, images);
  }
  return out;
}

