import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sniffImageType } from '@bears/backend';

export type ImageKind = NonNullable<ReturnType<typeof sniffImageType>>;

/** Image file extensions matched case-insensitively when listing a dataset. */
export const imageExtensions: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

/** The canonical extension for a sniffed format. */
export function extensionFor(kind: ImageKind): string {
  switch (kind) {
    case 'jpeg': return '.jpg';
    case 'tiff': return '.tif';
    default: return `.${kind}`;
  }
}

export function hasImageExtension(file: string, extensions: readonly string[] = imageExtensions): boolean {
  const ext = path.extname(file).toLowerCase();
  return extensions.includes(ext);
}

/** True if `file` already carries an extension that matches its sniffed content. */
export function extensionMatches(file: string, kind: ImageKind): boolean {
  const ext = path.extname(file).toLowerCase();
  if (kind === 'jpeg') return ext === '.jpg' || ext === '.jpeg';
  if (kind === 'tiff') return ext === '.tif' || ext === '.tiff';
  return ext === `.${kind}`;
}

/** Files (not folders) under `dir`, recursively, as absolute paths in sorted order; hidden entries skipped. */
export async function walkFiles(dir: string, options: { skipDirs?: (abs: string) => boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  async function visit(d: string): Promise<void> {
    const entries = await fs.readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!options.skipDirs?.(abs)) await visit(abs);
      } else if (e.isFile()) {
        out.push(abs);
      } else if (e.isSymbolicLink()) {
        const st = await fs.stat(abs).catch(() => undefined);
        if (st?.isFile()) out.push(abs);
        else if (st?.isDirectory() && !options.skipDirs?.(abs)) await visit(abs);
      }
    }
  }
  await visit(dir);
  return out;
}

/**
 * Writes a file so that readers never see a partial one: data goes to a hidden temp file in the
 * same folder, which is then renamed over the target (rename is atomic on one filesystem).
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/** A hidden temp path beside `file`, recognisable by isTempFile for clean-up after a crash. */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
}

export function isTempFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.part');
}

/** Throws a clear error unless `dir` is an existing folder. */
export async function requireDir(dir: string, what = 'folder'): Promise<void> {
  const st = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new Error(`${what} not found: ${dir}`);
    throw new Error(`Cannot read ${what} ${dir}: ${err.message}`);
  });
  if (!st.isDirectory()) throw new Error(`Expected a ${what}, but ${dir} is a file`);
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Why bytes that sniff as no image format are not an image, for reports. */
export function notImageReason(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || head.includes('<body') || head.includes('<head')) return 'not an image (HTML page)';
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'not a raster image (SVG)';
  if (head.startsWith('{') || head.startsWith('[')) return 'not an image (JSON/text)';
  if (head.startsWith('<')) return 'not an image (text/markup)';
  return 'not an image (unknown format)';
}
