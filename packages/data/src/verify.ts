import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sniffImageType } from '@bears/backend';
import { ImageDecodeError } from '@bears/backend';
import { sharpCodec } from '@bears/backend/node';
import sharp from 'sharp';
import type { FormatEnum, Metadata } from 'sharp';
import { extensionFor, extensionMatches, mapLimit, notImageReason, type ImageKind } from './files.js';
import { requireDir, toPosix, walkFiles, writeFileAtomic } from './fs-utils.js';

export interface VerifyOptions {
  /** Delete bad files instead of moving them to the quarantine folder (default false). */
  delete?: boolean;
  /** Where bad files (and originals of converted ones) go, keeping their relative paths (default `<dir>/.quarantine`). */
  quarantineDir?: string;
  /** The JSON report (default `<quarantineDir>/verify-report.json`); false writes none. */
  reportFile?: string | false;
  /** Report what would happen, change nothing (default false). */
  dryRun?: boolean;
  /** Convert usable but unusual files (PNG, WEBP, GIF, grayscale, CMYK, alpha, 16-bit) and fix wrong extensions (default true). */
  convert?: boolean;
  /** Format converted files are written in: 'jpeg' (default), or 'keep' the source format where it can hold 3-channel sRGB. */
  format?: 'jpeg' | 'keep';
  /** JPEG quality for rewritten files (default 95). */
  quality?: number;
  /** Downsize images whose longer side exceeds this, keeping the aspect ratio (the lesson uses 500). */
  maxSize?: number;
  /**
   * Only check files with these extensions (case-insensitive, with the dot). By default every file
   * is decoded, whatever its name, except documents (.md .txt .csv .json ...) and hidden files.
   */
  extensions?: readonly string[];
  /** Files checked at once (default 4). */
  concurrency?: number;
  onProgress?: (progress: { done: number; total: number; entry: VerifyEntry }) => void;
}

export type VerifyVerdict = 'ok' | 'fixed' | 'bad';
export type VerifyAction = 'renamed' | 'converted' | 'resized';

export interface VerifyEntry {
  /** Path relative to the verified folder, '/'-separated, as found. */
  file: string;
  verdict: VerifyVerdict;
  /** What was wrong (bad) or unusual (fixed). */
  reason?: string;
  /** Format from the magic bytes. */
  format?: ImageKind;
  width?: number;
  height?: number;
  channels?: number;
  /** libvips colour space of the source: srgb, b-w, cmyk, rgb16, ... */
  space?: string;
  bytes: number;
  actions: VerifyAction[];
  /** The file's new relative path, when its name changed. */
  newFile?: string;
  /** Where the bad file (or the original of a converted one) was moved. */
  movedTo?: string;
  deleted?: boolean;
}

export interface VerifyReport {
  dir: string;
  checked: number;
  ok: number;
  fixed: number;
  bad: number;
  entries: VerifyEntry[];
  /** Files not checked (documents, wrong extension under `extensions`), relative paths. */
  skipped: string[];
  quarantineDir?: string;
  reportFile?: string;
  dryRun: boolean;
}

const DOCUMENT_EXTENSIONS = new Set(['.md', '.txt', '.csv', '.tsv', '.json', '.jsonl', '.yaml', '.yml', '.ipynb', '.py', '.log', '.pdf']);

/**
 * Fully decodes every image file under `dir` (a header check misses truncated JPEGs), moves
 * broken ones to a quarantine folder (or deletes them with `delete: true`), converts usable but
 * unusual ones to 3-channel sRGB with correct extensions, optionally downsizes, and reports every file.
 */
export async function verifyImages(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const root = path.resolve(dir);
  await requireDir(root, 'image folder');
  const dryRun = options.dryRun ?? false;
  const convert = options.convert ?? true;
  const format = options.format ?? 'jpeg';
  const quality = options.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`quality must be an integer 1..100, got ${quality}`);
  const maxSize = options.maxSize;
  if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize < 1)) throw new RangeError(`maxSize must be a positive integer, got ${maxSize}`);
  const quarantineDir = path.resolve(options.quarantineDir ?? path.join(root, '.quarantine'));
  const extensions = options.extensions?.map((e) => e.toLowerCase());

  const all = await walkFiles(root, { skipDirs: (d) => d === quarantineDir });
  const skipped: string[] = [];
  const files: string[] = [];
  for (const abs of all) {
    const ext = path.extname(abs).toLowerCase();
    const skip = extensions ? !extensions.includes(ext) : DOCUMENT_EXTENSIONS.has(ext);
    (skip ? skipped : files).push(abs);
  }
  // Names taken by files on disk or by earlier renames, so a new name never overwrites another file.
  const taken = new Set(all.map((f) => f.toLowerCase()));

  let done = 0;
  const entries = await mapLimit(files, options.concurrency ?? 4, async (abs) => {
    const entry = await verifyOne(abs);
    done++;
    options.onProgress?.({ done, total: files.length, entry });
    return entry;
  });

  async function verifyOne(abs: string): Promise<VerifyEntry> {
    const rel = toPosix(path.relative(root, abs));
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(abs);
    } catch (err) {
      return bad({ file: rel, verdict: 'bad', bytes: 0, actions: [] }, `unreadable (${(err as Error).message})`);
    }
    const entry: VerifyEntry = { file: rel, verdict: 'ok', bytes: bytes.length, actions: [] };
    if (bytes.length === 0) return bad(entry, 'empty file (0 bytes)');
    const kind = sniffImageType(bytes);
    if (!kind) return bad(entry, notImageReason(bytes));
    entry.format = kind;
    let meta: Metadata;
    try {
      // A full decode through the Node codec (sharp's decode settings live there): the header alone passes a truncated JPEG.
      await sharpCodec.decodeRgb(bytes);
      meta = await sharp(bytes).metadata();
    } catch (err) {
      return bad(entry, err instanceof ImageDecodeError ? err.reason : `${kind} data is corrupt or truncated (${(err as Error).message})`);
    }
    Object.assign(entry, { width: meta.width, height: meta.height, channels: meta.channels, space: meta.space });

    const unusual: string[] = [];
    if (format === 'jpeg' && kind !== 'jpeg') unusual.push(`${kind} format`);
    if (format === 'keep' && !['jpeg', 'png', 'webp', 'tiff', 'avif'].includes(kind)) unusual.push(`${kind} format`);
    if (meta.hasAlpha) unusual.push('alpha channel');
    if (meta.space === 'cmyk') unusual.push('CMYK colours');
    else if (meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels ?? 3) < 3) unusual.push('grayscale');
    else if (meta.space && meta.space !== 'srgb') unusual.push(`${meta.space} colour space`);
    if (meta.depth && meta.depth !== 'uchar') unusual.push(`${meta.depth} samples`);
    if ((meta.pages ?? 1) > 1) unusual.push(`${meta.pages} frames (first kept)`);
    const tooBig = maxSize !== undefined && Math.max(meta.width ?? 0, meta.height ?? 0) > maxSize;
    const needsConvert = convert && unusual.length > 0;
    const outKind: ImageKind = needsConvert || tooBig ? (format === 'jpeg' || !['jpeg', 'png', 'webp', 'tiff', 'avif'].includes(kind) ? 'jpeg' : kind) : kind;
    const needsRename = convert && !extensionMatches(abs, outKind);
    if (!needsConvert && !tooBig && !needsRename) {
      if (unusual.length) entry.reason = unusual.join(', ');
      return entry;
    }

    entry.verdict = 'fixed';
    const reasons = [...(needsConvert ? unusual : []), ...(needsRename ? [`extension ${JSON.stringify(path.extname(abs) || '(none)')} does not match ${kind} content`] : []), ...(tooBig ? [`larger than maxSize ${maxSize}`] : [])];
    entry.reason = reasons.join(', ');
    if (needsConvert) entry.actions.push('converted');
    if (tooBig) entry.actions.push('resized');
    if (needsRename) entry.actions.push('renamed');
    const target = needsRename ? freeName(abs, extensionFor(outKind)) : abs;
    if (target !== abs) entry.newFile = toPosix(path.relative(root, target));
    if (dryRun) return entry;

    if (needsConvert || tooBig) {
      // Decoded like every other image (EXIF rotation, alpha on white, sRGB), then encoded again.
      const rgb = await sharpCodec.decodeRgb(bytes, tooBig ? { size: maxSize, fit: 'inside', withoutEnlargement: true } : {});
      const pipe = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
      const out = outKind === 'jpeg' ? pipe.jpeg({ quality, mozjpeg: false }) : pipe.toFormat(outKind as keyof FormatEnum, { quality });
      const data = await out.toBuffer({ resolveWithObject: true });
      entry.width = data.info.width;
      entry.height = data.info.height;
      // Keep the original (quarantine/originals) unless asked to delete: nothing is lost without asking.
      if (!options.delete) {
        const keep = path.join(quarantineDir, 'originals', path.relative(root, abs));
        await fs.mkdir(path.dirname(keep), { recursive: true });
        await fs.copyFile(abs, keep);
        entry.movedTo = keep;
      }
      await writeFileAtomic(target, data.data);
      if (target !== abs) await fs.rm(abs);
    } else {
      await fs.rename(abs, target);
    }
    return entry;
  }

  function freeName(abs: string, ext: string): string {
    const base = path.basename(abs);
    const stem = base.slice(0, base.length - path.extname(base).length) || base;
    let candidate = path.join(path.dirname(abs), `${stem}${ext}`);
    for (let i = 1; taken.has(candidate.toLowerCase()) && candidate !== abs; i++) {
      candidate = path.join(path.dirname(abs), `${stem}_${i}${ext}`);
    }
    taken.add(candidate.toLowerCase());
    return candidate;
  }

  async function bad(entry: VerifyEntry, reason: string): Promise<VerifyEntry> {
    entry.verdict = 'bad';
    entry.reason = reason;
    if (dryRun) return entry;
    const abs = path.join(root, entry.file);
    if (options.delete) {
      await fs.rm(abs, { force: true });
      entry.deleted = true;
    } else {
      const dest = path.join(quarantineDir, entry.file);
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await moveFile(abs, dest);
      entry.movedTo = dest;
    }
    return entry;
  }

  const report: VerifyReport = {
    dir: root,
    checked: entries.length,
    ok: entries.filter((e) => e.verdict === 'ok').length,
    fixed: entries.filter((e) => e.verdict === 'fixed').length,
    bad: entries.filter((e) => e.verdict === 'bad').length,
    entries,
    skipped: skipped.map((f) => toPosix(path.relative(root, f))),
    dryRun,
  };
  if (!options.delete || entries.some((e) => e.movedTo)) report.quarantineDir = quarantineDir;
  if (!dryRun && options.reportFile !== false) {
    const reportFile = path.resolve(options.reportFile ?? path.join(quarantineDir, 'verify-report.json'));
    await fs.mkdir(path.dirname(reportFile), { recursive: true });
    report.reportFile = reportFile;
    await writeFileAtomic(reportFile, JSON.stringify(report, null, 1));
  }
  return report;
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (err) {
    // Across filesystems rename fails: copy, then remove.
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await fs.copyFile(from, to);
    await fs.rm(from);
  }
}
