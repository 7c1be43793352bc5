import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@bears/data/node';
import { CLEAN_DIR, resolveInside } from './dataset-paths.js';

// Where the cleaner gets @bears/interpret's ranking: the cache in <data-dir>/.bears-clean, a ranking.json
// written by `bears interpret`, or a fresh computation.
import type { DatasetRanking, DuplicateGroup, RankedItem } from '../types.js';

export type { DatasetRanking, DuplicateGroup, RankedItem };

export function rankingCachePath(dataDir: string): string {
  return path.join(dataDir, CLEAN_DIR, 'ranking.json');
}

/** Checks the shape of a DatasetRanking read from JSON, with a message naming what is wrong. */
export function parseRanking(text: string, source: string): DatasetRanking {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not JSON: ${(err as Error).message}`);
  }
  const r = raw as Partial<DatasetRanking>;
  const bad = (what: string) => new Error(`${source} is not a DatasetRanking: ${what}`);
  if (!r || typeof r !== 'object') throw bad('not an object');
  if (r.version !== 1) throw bad(`version ${String(r.version)} (expected 1)`);
  if (!Array.isArray(r.classes) || !r.classes.every((c) => typeof c === 'string')) throw bad('classes must be a list of names');
  if (!Array.isArray(r.items)) throw bad('items must be a list');
  r.items.forEach((it, i) => {
    if (!it || typeof it.file !== 'string' || typeof it.label !== 'string') throw bad(`item ${i} needs file and label`);
    if (it.split !== 'train' && it.split !== 'valid') throw bad(`item ${i} (${it.file}) has split '${String(it.split)}'`);
    if (!Array.isArray(it.reasons)) throw bad(`item ${i} (${it.file}) needs reasons`);
  });
  const duplicates = Array.isArray(r.duplicates) ? r.duplicates : [];
  duplicates.forEach((g, i) => {
    if (!g || !Array.isArray(g.files) || g.files.length < 2 || !g.files.every((f) => typeof f === 'string')) throw bad(`duplicate group ${i} needs two or more files`);
  });
  return { ...(r as DatasetRanking), duplicates, createdAt: String(r.createdAt ?? '') };
}

export async function readRanking(file: string): Promise<DatasetRanking> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `ranking not found: ${file}` : `cannot read ranking ${file}: ${e.message}`);
  }
  return parseRanking(text, file);
}

export interface RankingSourceOptions {
  /** A ranking.json written by `bears interpret` (copied into the cache). */
  rankingFile?: string;
  /** Computes a fresh ranking (the CLI passes rankFolder with its backend); used when there is no cache. */
  compute?: () => Promise<DatasetRanking>;
  /** Ignore the cache and compute again. */
  refresh?: boolean;
}

/**
 * The ranking the cleaner shows: a given file, else the cache in `<data-dir>/.bears-clean/`, else a
 * computed one, which is then cached so a restart shows the same items (the journal refers to them).
 */
export async function loadRanking(dataDir: string, opts: RankingSourceOptions = {}): Promise<{ ranking: DatasetRanking; source: 'file' | 'cache' | 'computed' }> {
  const cache = rankingCachePath(dataDir);
  let ranking: DatasetRanking | undefined;
  let source: 'file' | 'cache' | 'computed';
  if (opts.rankingFile) {
    ranking = await readRanking(opts.rankingFile);
    source = 'file';
  } else if (!opts.refresh && (await exists(cache))) {
    ranking = await readRanking(cache);
    source = 'cache';
  } else if (opts.compute) {
    ranking = await opts.compute();
    source = 'computed';
  } else {
    throw new Error(`no ranking for ${dataDir}: run \`bears interpret <model> ${dataDir} --out <dir>\` and pass --ranking <dir>/ranking.json, or pass --model`);
  }
  if (source !== 'cache') {
    await resolveInside(await fs.realpath(dataDir), `${CLEAN_DIR}/ranking.json`, { allowCleanDir: true });
    await fs.mkdir(path.dirname(cache), { recursive: true });
    await writeFileAtomic(cache, `${JSON.stringify(ranking)}\n`);
  }
  return { ranking, source };
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
