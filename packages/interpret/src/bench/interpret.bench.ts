// How well each signal and the combined ranking find the 42 images that the bears manifest marks
// suspect_label=yes (top 50 / top 100), the precision of confident learning's flags, the
// near-duplicate groups, and the time of each step. Sorting by loss is the baseline to beat.
// Env: BEARS_MODEL (default /work/fixtures/model-frozen), BEARS_CACHE (features cache file,
// default: none, so the extraction is measured). Progress on stderr; the table and, last, one JSON line on stdout.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rankDataset } from '../rank.js';
import { extractCached } from './extract.js';

const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
const BEARS = path.join(SHARED, 'data/bears');
const MODEL = process.env.BEARS_MODEL ?? '/work/fixtures/model-frozen';
const CACHE = process.env.BEARS_CACHE ?? path.join(tmpdir(), `bears-interpret-nocache-${process.pid}.json`);

const manifest = (await readFile(path.join(BEARS, 'manifest.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
const suspects = new Set(manifest.filter((r) => r[r.length - 1]!.trim() === 'yes').map((r) => r[0]!));

const t0 = performance.now();
const { preds, facts } = await extractCached(MODEL, BEARS, CACHE);
const tExtract = (performance.now() - t0) / 1000;
if (!process.env.BEARS_CACHE) await rm(CACHE, { force: true });
const t1 = performance.now();
const ranking = rankDataset(preds, { facts });
const tRank = (performance.now() - t1) / 1000;

const hits = (files: string[], k: number) => files.slice(0, k).filter((f) => suspects.has(f)).length;
const out: Record<string, number | string> = { suspects: suspects.size, items: preds.items.length };
const rows: string[][] = [['ranking', 'top 50', 'top 100']];
const lossOrder = ranking.bySignal.loss!;
for (const [name, files] of [['combined', ranking.items.map((i) => i.file)] as const, ...Object.entries(ranking.bySignal)]) {
  const h50 = hits(files as string[], 50);
  const h100 = hits(files as string[], 100);
  rows.push([name === 'loss' ? 'loss (baseline)' : name, `${h50}/${suspects.size}`, `${h100}/${suspects.size}`]);
  out[`${name}_top50`] = h50;
  out[`${name}_top100`] = h100;
}
out.combined_vs_loss_top100_ratio = Number((hits(ranking.items.map((i) => i.file), 100) / Math.max(1, hits(lossOrder, 100))).toFixed(3));
const flagged = ranking.labelIssues;
const tp = flagged.filter((f) => suspects.has(f)).length;
out.cl_flags = flagged.length;
out.cl_flags_suspect = tp;
out.cl_precision = Number((tp / Math.max(1, flagged.length)).toFixed(3));
out.cl_recall = Number((tp / suspects.size).toFixed(3));
const near = ranking.duplicates;
out.dup_groups = near.length;
out.dup_groups_exact = near.filter((g) => g.kind === 'exact').length;
out.dup_files = near.reduce((a, g) => a + g.files.length, 0);
out.dup_groups_cross_class = near.filter((g) => g.crossClass).length;
out.dup_groups_cross_split = near.filter((g) => g.crossSplit).length;
out.extract_s = Number(tExtract.toFixed(2));
out.rank_s = Number(tRank.toFixed(2));
out.model = path.basename(MODEL);

const width = [22, 9, 9];
console.log(`interpret bench: ${preds.items.length} bear photos, ${suspects.size} marked suspect_label=yes, model ${MODEL}`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(width[i]!)).join(' '));
console.log(`confident learning: ${flagged.length} flagged, ${tp} of them marked suspect: precision ${out.cl_precision}, recall ${out.cl_recall}`);
console.log(`duplicates: ${near.length} groups (${out.dup_groups_exact} exact) over ${out.dup_files} files; ${out.dup_groups_cross_class} across classes, ${out.dup_groups_cross_split} across train/valid`);
console.log(`time: features + facts ${tExtract.toFixed(1)} s, ranking (k-fold + duplicates + outliers) ${tRank.toFixed(1)} s`);
if (process.env.BEARS_VERBOSE) {
  for (const it of ranking.items.slice(0, 100)) console.log(`${suspects.has(it.file) ? '*' : ' '} ${it.score.toFixed(3)} ${it.file} -> ${it.suggested}: ${it.reasons.join('; ')}`);
  for (const g of near) console.log(`${g.kind} ${g.similarity} ${g.crossClass ? 'X' : ' '} ${g.files.join(' ')}`);
}
console.log(JSON.stringify(out));
