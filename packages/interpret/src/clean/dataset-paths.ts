import { promises as fs } from 'node:fs';
import path from 'node:path';

/*
 * Every path the cleaner touches goes through here: keys are POSIX paths relative to the dataset
 * root, checked by shape first and then by where they really lead (symlinks resolved).
 */

/** Where the cleaner keeps its journal, trash, ranking cache and thumbnails inside the dataset. */
export const CLEAN_DIR = '.bears-clean';

export const TRASH_DIR = `${CLEAN_DIR}/trash`;

export class OutsideDatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutsideDatasetError';
  }
}

/**
 * Refuses anything that is not a plain relative path inside the dataset: absolute or drive paths,
 * `..`/`.`/empty segments, backslashes, NUL, percent-encoded dots and slashes, hidden segments
 * (the cleaner's own folder included, unless `allowCleanDir`).
 */
export function checkKey(key: string, opts: { allowCleanDir?: boolean } = {}): string {
  const refuse = (why: string) => new OutsideDatasetError(`refused path '${key}': ${why}`);
  if (typeof key !== 'string' || key === '') throw refuse('empty');
  if (key.includes('\0')) throw refuse('NUL byte');
  if (key.includes('\\')) throw refuse('backslash');
  if (/%(2e|2f|5c|00)/i.test(key)) throw refuse('percent-encoded dot, slash or NUL');
  if (key.startsWith('/') || /^[a-zA-Z]:/.test(key)) throw refuse('absolute path');
  const segments = key.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') throw refuse(`'${s}' segment`);
  }
  const inClean = key.startsWith(`${CLEAN_DIR}/`);
  if (inClean && !opts.allowCleanDir) throw refuse('inside the cleaner\'s own folder');
  if (segments.some((s, i) => s.startsWith('.') && !(inClean && i === 0))) throw refuse('hidden segment');
  return key;
}

/** A class name that can be a folder name of its own. */
export function checkLabel(label: string, classes: readonly string[]): string {
  if (!classes.includes(label)) throw new OutsideDatasetError(`unknown class '${label}' (classes: ${classes.join(', ')})`);
  if (label.includes('/') || label.startsWith('.') || label.includes('\\') || label.includes('\0')) throw new OutsideDatasetError(`class '${label}' cannot be a folder name`);
  return label;
}

/** The dataset root with symlinks resolved, computed once. */
export async function realRoot(root: string): Promise<string> {
  return fs.realpath(root);
}

/**
 * The absolute path of `key` after checking that it (or, for a path that does not exist yet, its
 * folder) really lies inside the dataset: a symlink leading out is refused.
 */
export async function resolveInside(rootReal: string, key: string, opts: { allowCleanDir?: boolean; mustExist?: boolean } = {}): Promise<string> {
  checkKey(key, opts);
  const abs = path.join(rootReal, ...key.split('/'));
  let probe = abs;
  let real: string | undefined;
  // Walk up to the nearest part that exists and resolve it; what is below it cannot be a link yet.
  for (;;) {
    try {
      real = await fs.realpath(probe);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (opts.mustExist && probe === abs) throw new OutsideDatasetError(`not found: ${key}`);
      const up = path.dirname(probe);
      if (up === probe) break;
      probe = up;
    }
  }
  if (!real || !(real === rootReal || real.startsWith(rootReal + path.sep))) throw new OutsideDatasetError(`refused path '${key}': it leads outside the dataset`);
  return abs;
}

/** The key an item would have in class folder `label`: the sibling of its original class folder. */
export function keyInClass(originalKey: string, label: string): string {
  const classDir = path.posix.dirname(originalKey);
  const parent = path.posix.dirname(classDir);
  const name = path.posix.basename(originalKey);
  return parent === '.' ? `${label}/${name}` : `${parent}/${label}/${name}`;
}

export function trashKey(originalKey: string): string {
  return `${TRASH_DIR}/${originalKey}`;
}

/** The folder name an item's label comes from (its parent folder). */
export function folderLabel(key: string): string {
  return path.posix.basename(path.posix.dirname(key));
}

/** `key`, or `name_1.ext`, `name_2.ext`, ... when something already lies there. */
export async function freeKey(rootReal: string, key: string, taken: (k: string) => boolean = () => false): Promise<string> {
  const dir = path.posix.dirname(key);
  const ext = path.posix.extname(key);
  const stem = path.posix.basename(key, ext);
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? key : `${dir === '.' ? '' : `${dir}/`}${stem}_${i}${ext}`;
    const occupied = taken(candidate) || (await fs.lstat(path.join(rootReal, ...candidate.split('/'))).then(() => true, () => false));
    if (!occupied) return candidate;
  }
}
