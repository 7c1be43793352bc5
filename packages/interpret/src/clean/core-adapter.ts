import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/*
 * Today's stand-ins for what the core (issue 11) moves into @bears/data: `writeFileAtomic` with fsync
 * at @bears/data/node. When `core:` lands on main, this file becomes re-exports from @bears/data.
 */

/** Writes through a hidden temp file, fsyncs it, renames it over `file` and fsyncs the folder. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    await fsyncDir(path.dirname(file));
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/** Makes a rename or create in `dir` durable (a no-op where folders cannot be opened, e.g. Windows). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some platforms refuse to open or fsync a folder; the rename itself already happened.
  } finally {
    await fh?.close();
  }
}

export { csvField, parseCsv } from '@bears/data';
