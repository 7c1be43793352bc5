import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export { hasImageExtension, mapLimit } from './files.js';

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
 * same folder, is fsynced, then renamed over the target (rename is atomic on one filesystem).
 * The one atomic write of the monorepo (@bears/learner's exports and checkpoints use it too).
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, options: { mkdir?: boolean } = {}): Promise<void> {
  if (options.mkdir) await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      // fsync before the rename: otherwise a crash can leave the new name pointing at empty data.
      await handle.sync();
    } finally {
      await handle.close();
    }
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

