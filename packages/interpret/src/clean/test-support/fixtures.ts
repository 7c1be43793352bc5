import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { DatasetRanking, RankedItem } from '../ranking-source.js';

export const SHARED = fileURLToPath(new URL('../../../../../../shared/', import.meta.url));
export const BEARS = path.join(SHARED, 'data/bears');

export const CLASSES = ['black', 'grizzly', 'teddy'];

/** Files of the fixture dataset, most suspicious first, with the duplicate last. */
export const FIXTURE_FILES = [
  'grizzly/g1.png', 'black/b1.png', 'teddy/t1.png', 'grizzly/dup_t1.png',
  'black/b2.png', 'grizzly/g2.png', 'teddy/t2.png', 'black/b3.png', 'teddy/t3.png',
];

/** A hand-written DatasetRanking (the shape @bears/interpret writes) over `files`. */
export function rankingFor(files: string[], duplicates: DatasetRanking['duplicates'] = []): DatasetRanking {
  const items: RankedItem[] = files.map((file, i) => {
    const label = file.split('/').at(-2)!;
    const suggested = i === 0 ? 'black' : i === 1 ? 'teddy' : label;
    const reasons = i < 2 ? [`label issue (confident learning, p(label)=0.0${i + 2})`] : [];
    const dup = duplicates.find((g) => g.files.includes(file));
    if (dup) reasons.push(`near duplicate of ${dup.files.find((f) => f !== file)}`);
    if (i === 4) reasons.push('dark');
    return { file, label, split: i % 4 === 3 ? 'valid' : 'train', suggested, score: Math.round((1 - i / files.length) * 100) / 100, reasons, signals: {} };
  });
  return { version: 1, classes: CLASSES, items, duplicates, createdAt: '2026-12-04T00:00:00.000Z' };
}

/** A temp dataset of small solid-colour PNGs (fast), with one cross-class exact duplicate. */
export async function syntheticDataset(): Promise<{ dir: string; ranking: DatasetRanking }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bears-clean-'));
  for (const [i, file] of FIXTURE_FILES.entries()) {
    const abs = path.join(dir, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    if (file === 'grizzly/dup_t1.png') continue;
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (i * 53) % 256, g: (i * 97) % 256, b: (i * 29) % 256 } } }).png().toFile(abs);
  }
  cpSync(path.join(dir, 'teddy/t1.png'), path.join(dir, 'grizzly/dup_t1.png'));
  const ranking = rankingFor(FIXTURE_FILES, [{ kind: 'exact', files: ['teddy/t1.png', 'grizzly/dup_t1.png'], similarity: 1, crossClass: true, crossSplit: false }]);
  return { dir, ranking };
}

/**
 * A temp copy of a few real photos from ../shared/data/bears (2 per class), plus one of them copied
 * into another class as a cross-class duplicate, and a ranking over them.
 */
export function photoDataset(perClass = 2): { dir: string; ranking: DatasetRanking; files: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bears-clean-photos-'));
  const files: string[] = [];
  for (const cls of CLASSES) {
    const names = readdirSync(path.join(BEARS, cls)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort().slice(0, perClass);
    mkdirSync(path.join(dir, cls), { recursive: true });
    for (const n of names) {
      cpSync(path.join(BEARS, cls, n), path.join(dir, cls, n));
      files.push(`${cls}/${n}`);
    }
  }
  const original = files.find((f) => f.startsWith('teddy/'))!;
  const dup = `grizzly/dup_${path.posix.basename(original)}`;
  cpSync(path.join(dir, original), path.join(dir, dup));
  files.push(dup);
  const ranking = rankingFor(files, [{ kind: 'exact', files: [original, dup], similarity: 1, crossClass: true, crossSplit: false }]);
  return { dir, ranking, files };
}
