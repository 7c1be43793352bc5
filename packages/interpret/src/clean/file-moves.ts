import { promises as fs } from 'node:fs';
import path from 'node:path';
import { resolveInside } from './dataset-paths.js';
import type { Move } from './journal.js';

/*
 * The only two things the cleaner does to a file: move it (never over another file) and, on
 * --empty-trash alone, unlink it from the trash.
 */

/** Moves `from` to `to` (dataset keys) without ever replacing a file, and makes it durable. */
export async function moveFile(rootReal: string, move: Move): Promise<void> {
  const from = await resolveInside(rootReal, move.from, { allowCleanDir: true, mustExist: true });
  const to = await resolveInside(rootReal, move.to, { allowCleanDir: true });
  await fs.mkdir(path.dirname(to), { recursive: true });
  try {
    // link + unlink fails with EEXIST instead of overwriting whatever appeared at `to` meanwhile.
    await fs.link(from, to);
    await fs.unlink(from);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`cannot move ${move.from} to ${move.to}: a file is already there`);
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS'].includes(code ?? '')) throw err;
    // Filesystems without hard links: check, then rename (the store serializes every move).
    if (await exists(to)) throw new Error(`cannot move ${move.from} to ${move.to}: a file is already there`);
    await fs.rename(from, to);
  }
  await fsyncDir(path.dirname(to));
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from));
}

export type MoveState = 'pending' | 'moved' | 'linked' | 'conflict' | 'lost';

/** Where an interrupted move stands: not started, finished, linked but not yet unlinked, or lost. */
export async function moveState(rootReal: string, move: Move): Promise<MoveState> {
  const from = path.join(rootReal, ...move.from.split('/'));
  const to = path.join(rootReal, ...move.to.split('/'));
  const [a, b] = await Promise.all([fs.lstat(from).catch(() => undefined), fs.lstat(to).catch(() => undefined)]);
  if (a && b) return a.ino === b.ino && a.dev === b.dev ? 'linked' : 'conflict';
  if (a) return 'pending';
  if (b) return 'moved';
  return 'lost';
}

/** Finishes a move that stopped between link and unlink. */
export async function finishLinkedMove(rootReal: string, move: Move): Promise<void> {
  const from = await resolveInside(rootReal, move.from, { allowCleanDir: true, mustExist: true });
  await fs.unlink(from);
  await fsyncDir(path.dirname(from));
}

export async function removeFile(rootReal: string, key: string): Promise<number> {
  const abs = await resolveInside(rootReal, key, { allowCleanDir: true, mustExist: true });
  const st = await fs.lstat(abs);
  await fs.unlink(abs);
  return st.size;
}

export async function exists(abs: string): Promise<boolean> {
  return fs.lstat(abs).then(() => true, () => false);
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
