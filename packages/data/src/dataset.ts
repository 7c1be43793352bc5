import type { ImageCodec } from '@bears/backend';
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
  /** The active backend's codec, used by the loaders to decode (default: the runtime's codec). */
  codec?: ImageCodec;
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

/** One image before the split: `key` is its stable id (the relative path for folders). */
export interface Entry {
  file: string;
  key: string;
  label: number;
  valid?: boolean;
  bytes?: Uint8Array;
}

/** An in-memory image for ImageDataset.fromItems (browser training, uploads, tests). */
export interface MemoryItem {
  /** Stable unique name (e.g. 'grizzly/001.jpg'): drives the hash split and names the item in reports. */
  id: string;
  /** Class name. */
  label: string;
  /** Encoded image bytes (JPEG, PNG, WEBP, ...). */
  bytes: Uint8Array;
  /** Put it in the validation set (true) or the training set (false); default: the hash split. */
  valid?: boolean;
}

export interface MemoryOptions extends DatasetOptions {
  /** Ids of the validation items, or a predicate; overrides the hash split (and item.valid). */
  valid?: readonly string[] | ((item: MemoryItem) => boolean);
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
  /** The codec loaders decode with, when given. */
  readonly codec?: ImageCodec;
  protected readonly splitBy: DatasetSummary['splitBy'];
  protected sizes?: SizeStats;
  protected unreadable?: Array<{ file: string; reason: string }>;
  /** Reads an item's bytes from its file (folder datasets, Node); in-memory items carry their bytes. */
  protected read?: (file: string) => Promise<Uint8Array>;

  /** @internal use fromItems (or fromFolder/fromCsv from @bears/data/node). */
  constructor(init: {
    root: string; classes: string[]; train: Item[]; valid: Item[]; options: DatasetOptions; warnings: string[]; splitBy: DatasetSummary['splitBy'];
  }) {
    this.codec = init.options.codec;
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
   * Images held in memory, with their class names: what browser training and Workers use (no files).
   * Classes are sorted unless `options.classes` gives them; at least two are needed.
   */
  static fromItems(items: readonly MemoryItem[], options: MemoryOptions = {}): ImageDataset {
    checkOptions(options);
    if (!Array.isArray(items)) throw new TypeError('fromItems: expected an array of { id, label, bytes }');
    const seen = new Set<string>();
    for (const [i, it] of items.entries()) {
      if (!it || typeof it.id !== 'string' || !it.id) throw new TypeError(`fromItems: item ${i} needs a non-empty string id`);
      if (typeof it.label !== 'string' || !it.label) throw new TypeError(`fromItems: item '${it.id}' needs a label (class name)`);
      if (!(it.bytes instanceof Uint8Array)) throw new TypeError(`fromItems: item '${it.id}' needs bytes (a Uint8Array of the encoded image)`);
      if (seen.has(it.id)) throw new TypeError(`fromItems: id '${it.id}' appears twice`);
      seen.add(it.id);
    }
    const names = pickClasses([...new Set(items.map((i) => i.label))], options.classes, 'the items');
    const index = new Map(names.map((n, i) => [n, i]));
    const validSet = Array.isArray(options.valid) ? new Set(options.valid) : undefined;
    const validFn = typeof options.valid === 'function' ? options.valid : undefined;
    const explicit = options.valid !== undefined || items.some((i) => i.valid !== undefined);
    const entries: Entry[] = items
      .filter((it) => index.has(it.label))
      .map((it) => ({
        file: it.id,
        key: it.id,
        label: index.get(it.label)!,
        bytes: it.bytes,
        ...(explicit ? { valid: validSet ? validSet.has(it.id) : validFn ? validFn(it) : (it.valid ?? false) } : {}),
      }));
    return this.build('(memory)', names, entries, options, [], explicit ? 'folders' : options.stratify ? 'stratified-hash' : 'hash');
  }

  /** Folders need Node: this root entry says where to find the real one. */
  static fromFolder(root: string, _options?: FolderOptions): Promise<ImageDataset> {
    return Promise.reject(new Error(`ImageDataset.fromFolder('${root}') reads files, which needs Node: import { ImageDataset } from '@bears/data/node' (in browsers and Workers use ImageDataset.fromItems)`));
  }

  /** CSV files need Node: this root entry says where to find the real one. */
  static fromCsv(csvPath: string, _options?: CsvOptions): Promise<ImageDataset> {
    return Promise.reject(new Error(`ImageDataset.fromCsv('${csvPath}') reads files, which needs Node: import { ImageDataset } from '@bears/data/node'`));
  }

  /** @internal the split and construction shared by every factory. */
  static build<T extends ImageDataset>(
    this: new (init: ConstructorParameters<typeof ImageDataset>[0]) => T,
    root: string, classes: string[], entries: Entry[], options: DatasetOptions, warnings: string[], splitBy: DatasetSummary['splitBy'],
  ): T {
    let train: Entry[];
    let valid: Entry[];
    if (splitBy === 'folders' || splitBy === 'csv-column') {
      train = entries.filter((e) => !e.valid);
      valid = entries.filter((e) => e.valid);
    } else {
      ({ train, valid } = splitByHash(entries, options.validPct ?? 0.2, options.seed ?? 42, options.stratify ?? false));
    }
    const item = (e: Entry): Item => ({ file: e.file, label: e.label, id: e.key, ...(e.bytes ? { bytes: e.bytes } : {}) });
    return new this({ root, classes, train: train.map(item), valid: valid.map(item), options, warnings, splitBy });
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
      ...(options.codec ?? this.codec ? { codec: options.codec ?? this.codec } : {}),
      ...(options.read ?? this.read ? { read: options.read ?? this.read } : {}),
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

export function checkOptions(o: DatasetOptions): void {
  if (o.validPct !== undefined && !(o.validPct >= 0 && o.validPct < 1)) throw new RangeError(`validPct must be in [0, 1), got ${o.validPct}`);
  if (o.seed !== undefined && !Number.isFinite(o.seed)) throw new RangeError(`seed must be a number, got ${o.seed}`);
  if (o.size !== undefined && (!Number.isInteger(o.size) || o.size < 1)) throw new RangeError(`size must be a positive integer, got ${o.size}`);
}

export function pickClasses(found: string[], wanted: string[] | undefined, where: string): string[] {
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

export function sizeStats(dims: Array<{ file: string; width: number; height: number }>, size: number): SizeStats {
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

export function codepoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
