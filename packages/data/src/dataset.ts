import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { parseCsv } from './csv.js';
import { hasImageExtension, imageExtensions, mapLimit, requireDir, toPosix, walkFiles } from './files.js';
import { BatchLoader, type LoaderOptions } from './loader.js';
import { checkNormalization, imagenetStats, type Normalization } from './normalization.js';
import { splitByHash } from './split.js';
import type { Item, Split } from './types.js';

export interface DatasetOptions {
  /** Fraction of images held out for validation (default 0.2). Ignored with train/ and valid/ folders or a CSV valid column. */
  validPct?: number;
  /** Seed for the split, and the default seed of loaders (default 42). */
  seed?: number;
  /** Output side of the loaders' images (default 224). */
  size?: number;
  /** Exact per-class validation fractions (default false: a per-file hash, stable when files are added). */
  stratify?: boolean;
  /** Default normalization of the loaders (default imagenetStats). */
  normalize?: Normalization;
  /** Use only these classes, in this order (default: every class, sorted). */
  classes?: string[];
  /** Image extensions, case-insensitive (default .jpg .jpeg .png .webp .gif .bmp .tif .tiff .avif). */
  extensions?: readonly string[];
  /** A class with fewer images than this gets a warning (default 10). */
  minClassSize?: number;
}

export interface FolderOptions extends DatasetOptions {
  /** Names of the explicit split folders (default 'train' and 'valid'; 'validation' and 'val' are also recognised). */
  trainFolder?: string;
  validFolder?: string;
}

export interface CsvOptions extends DatasetOptions {
  /** Folder the names in the CSV are relative to (default: the CSV's folder). */
  root?: string;
  /** A named file that does not exist: 'error' (default) or 'skip' with a warning. */
  missing?: 'error' | 'skip';
}

export interface ClassCount {
  train: number;
  valid: number;
  total: number;
}

export interface SizeStats {
  /** Images measured. */
  count: number;
  width: { min: number; median: number; max: number };
  height: { min: number; median: number; max: number };
  /** Counts by shorter side: '<size', 'size..2*size', '>=2*size' (in pixels). */
  shortSide: Record<string, number>;
  /** The three smallest images. */
  smallest: Array<{ file: string; width: number; height: number }>;
}

export interface DatasetSummary {
  root: string;
  classes: string[];
  counts: Record<string, ClassCount>;
  train: number;
  valid: number;
  total: number;
  validPct: number;
  seed: number;
  size: number;
  /** Where the split came from. */
  splitBy: 'hash' | 'stratified-hash' | 'folders' | 'csv-column';
  /** Present after `inspect()`. */
  sizes?: SizeStats;
  /** Files `inspect()` could not read as images. */
  unreadable?: Array<{ file: string; reason: string }>;
  warnings: string[];
}

interface Entry {
  file: string;
  key: string;
  label: number;
  valid?: boolean;
}

/** Labelled images with a deterministic train/valid split, and loaders that turn them into batches. */
export class ImageDataset {
  readonly root: string;
  readonly classes: string[];
  readonly train: Item[];
  readonly valid: Item[];
  readonly size: number;
  readonly seed: number;
  readonly validPct: number;
  readonly normalize: Normalization;
  /** Problems found while building the dataset (skipped folders and files, imbalance, tiny classes). */
  readonly warnings: string[];
  private readonly splitBy: DatasetSummary['splitBy'];
  private sizes?: SizeStats;
  private unreadable?: Array<{ file: string; reason: string }>;

  private constructor(init: {
    root: string; classes: string[]; train: Item[]; valid: Item[]; options: DatasetOptions; warnings: string[]; splitBy: DatasetSummary['splitBy'];
  }) {
    this.root = init.root;
    this.classes = init.classes;
    this.train = init.train;
    this.valid = init.valid;
    this.size = init.options.size ?? 224;
    this.seed = init.options.seed ?? 42;
    this.validPct = init.options.validPct ?? 0.2;
    this.normalize = checkNormalization(init.options.normalize ?? imagenetStats);
    this.splitBy = init.splitBy;
    this.warnings = [...init.warnings, ...balanceWarnings(this, init.options.minClassSize ?? 10)];
  }

  /** Number of classes. */
  get c(): number {
    return this.classes.length;
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
      return ImageDataset.build(abs, names, entries, options, warnings, 'folders');
    }

    const byClass = await scanClassFolders(abs, extensions, warnings, options.classes);
    const names = pickClasses([...byClass.keys()], options.classes, abs);
    const entries: Entry[] = [];
    names.forEach((name, label) => {
      for (const file of byClass.get(name)!) entries.push({ file, key: toPosix(path.relative(abs, file)), label });
    });
    return ImageDataset.build(abs, names, entries, options, warnings, options.stratify ? 'stratified-hash' : 'hash');
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
    return ImageDataset.build(root, names, entries, options, warnings, validCol !== undefined ? 'csv-column' : options.stratify ? 'stratified-hash' : 'hash');
  }

  private static build(root: string, classes: string[], entries: Entry[], options: DatasetOptions, warnings: string[], splitBy: DatasetSummary['splitBy']): ImageDataset {
    let train: Entry[];
    let valid: Entry[];
    if (splitBy === 'folders' || splitBy === 'csv-column') {
      train = entries.filter((e) => !e.valid);
      valid = entries.filter((e) => e.valid);
    } else {
      ({ train, valid } = splitByHash(entries, options.validPct ?? 0.2, options.seed ?? 42, options.stratify ?? false));
    }
    const item = (e: Entry): Item => ({ file: e.file, label: e.label });
    return new ImageDataset({ root, classes, train: train.map(item), valid: valid.map(item), options, warnings, splitBy });
  }

  /** The items of one split. */
  items(split: Split): Item[] {
    if (split !== 'train' && split !== 'valid') throw new RangeError(`split must be 'train' or 'valid', got ${String(split)}`);
    return split === 'train' ? this.train : this.valid;
  }

  /** A batch iterator over one split (see LoaderOptions for defaults). */
  loader(split: Split, options: LoaderOptions = {}): BatchLoader {
    return new BatchLoader(this.items(split), split, {
      ...options,
      size: options.size ?? this.size,
      seed: options.seed ?? this.seed,
      normalize: options.normalize ?? this.normalize,
    });
  }

  /** Counts per class and split, and warnings; includes sizes once `inspect()` has run. */
  summary(): DatasetSummary {
    const counts: Record<string, ClassCount> = {};
    for (const c of this.classes) counts[c] = { train: 0, valid: 0, total: 0 };
    for (const it of this.train) { const c = counts[this.classes[it.label]!]!; c.train++; c.total++; }
    for (const it of this.valid) { const c = counts[this.classes[it.label]!]!; c.valid++; c.total++; }
    const warnings = [...this.warnings];
    if (this.sizes && this.sizes.shortSide[`<${this.size}`]) {
      warnings.push(`${this.sizes.shortSide[`<${this.size}`]} image(s) are smaller than ${this.size} px on the shorter side and will be upscaled`);
    }
    if (this.unreadable?.length) {
      warnings.push(`${this.unreadable.length} unreadable image(s), e.g. ${this.unreadable[0]!.file} (${this.unreadable[0]!.reason}); run verifyImages`);
    }
    return {
      root: this.root,
      classes: [...this.classes],
      counts,
      train: this.train.length,
      valid: this.valid.length,
      total: this.train.length + this.valid.length,
      validPct: this.validPct,
      seed: this.seed,
      size: this.size,
      splitBy: this.splitBy,
      ...(this.sizes ? { sizes: this.sizes } : {}),
      ...(this.unreadable ? { unreadable: this.unreadable } : {}),
      warnings,
    };
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

/** A readable multi-line table of a summary, for CLIs and logs. */
export function formatSummary(s: DatasetSummary): string {
  const width = Math.max(5, ...s.classes.map((c) => c.length));
  const line = (a: string, b: string | number, c: string | number, d: string | number) => `${a.padEnd(width)}  ${String(b).padStart(6)}  ${String(c).padStart(6)}  ${String(d).padStart(6)}`;
  const out = [`${s.root}: ${s.classes.length} classes, ${s.total} images (split: ${s.splitBy}, seed ${s.seed})`, line('class', 'train', 'valid', 'total')];
  for (const c of s.classes) out.push(line(c, s.counts[c]!.train, s.counts[c]!.valid, s.counts[c]!.total));
  out.push(line('all', s.train, s.valid, s.total));
  if (s.sizes) {
    const z = s.sizes;
    out.push(`sizes (${z.count} images): width ${z.width.min}-${z.width.max} (median ${z.width.median}), height ${z.height.min}-${z.height.max} (median ${z.height.median})`);
    out.push(`shorter side: ${Object.entries(z.shortSide).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  }
  for (const w of s.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

function checkOptions(o: DatasetOptions): void {
  if (o.validPct !== undefined && !(o.validPct >= 0 && o.validPct < 1)) throw new RangeError(`validPct must be in [0, 1), got ${o.validPct}`);
  if (o.seed !== undefined && !Number.isFinite(o.seed)) throw new RangeError(`seed must be a number, got ${o.seed}`);
  if (o.size !== undefined && (!Number.isInteger(o.size) || o.size < 1)) throw new RangeError(`size must be a positive integer, got ${o.size}`);
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

function pickClasses(found: string[], wanted: string[] | undefined, where: string): string[] {
  let names = [...found].sort(codepoint);
  if (wanted) {
    const missing = wanted.filter((c) => !found.includes(c));
    if (missing.length) throw new Error(`Class(es) ${missing.join(', ')} not found in ${where} (found: ${names.join(', ') || 'none'})`);
    names = [...wanted];
  }
  if (names.length < 2) {
    throw new Error(`A classifier needs at least two classes, but ${where} has ${names.length === 0 ? 'none' : `only '${names[0]}'`}: add a folder of images per class`);
  }
  return names;
}

function balanceWarnings(ds: ImageDataset, minClassSize: number): string[] {
  const totals = ds.classes.map((_, i) => 0 + ds.train.filter((t) => t.label === i).length + ds.valid.filter((t) => t.label === i).length);
  const validCounts = ds.classes.map((_, i) => ds.valid.filter((t) => t.label === i).length);
  const out: string[] = [];
  ds.classes.forEach((c, i) => {
    if (totals[i]! < minClassSize) out.push(`class '${c}' has only ${totals[i]} image(s) (fewer than ${minClassSize})`);
    if (ds.valid.length > 0 && validCounts[i] === 0) out.push(`class '${c}' has no validation images`);
  });
  const max = Math.max(...totals);
  const min = Math.min(...totals);
  if (min > 0 && max / min >= 3) {
    const big = ds.classes[totals.indexOf(max)]!;
    const small = ds.classes[totals.indexOf(min)]!;
    out.push(`class imbalance: '${big}' has ${max} images but '${small}' only ${min} (${(max / min).toFixed(1)}x)`);
  }
  return out;
}

function sizeStats(dims: Array<{ file: string; width: number; height: number }>, size: number): SizeStats {
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0]!, median: s[Math.floor((s.length - 1) / 2)]!, max: s[s.length - 1]! };
  };
  const shortSide: Record<string, number> = { [`<${size}`]: 0, [`${size}..${2 * size}`]: 0, [`>=${2 * size}`]: 0 };
  for (const d of dims) {
    const m = Math.min(d.width, d.height);
    const k = m < size ? `<${size}` : m < 2 * size ? `${size}..${2 * size}` : `>=${2 * size}`;
    shortSide[k]!++;
  }
  const smallest = [...dims].sort((a, b) => a.width * a.height - b.width * b.height || (a.file < b.file ? -1 : 1)).slice(0, 3);
  return { count: dims.length, width: stat(dims.map((d) => d.width)), height: stat(dims.map((d) => d.height)), shortSide, smallest };
}

function codepoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
