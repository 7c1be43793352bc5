import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { DatasetRanking } from '@bears/interpret';
import {
  CleanError, CleanStore, applyDecisions, loadRanking, rankFolder, rankingCachePath, readDecisions, readRanking, startCleaner,
} from '@bears/interpret/node';
import { existingDir, existingFile, num, requirePositional } from '../args.js';
import { startBackend } from '../backend.js';
import { CliError, usageError } from '../cli-error.js';
import type { Command, ParsedArgs } from '../command.js';
import type { Output } from '../output.js';

export const clean: Command = {
  name: 'clean',
  summary: 'review the suspicious images in a local web page: delete, relabel, resolve duplicates (all undoable)',
  usage: 'bears clean <data-dir> --model <model-dir> [--port N] [--no-open] | --undo [--all] | --empty-trash [--yes] | --apply <decisions.csv>',
  details: [
    '<data-dir>           the image folder (class subfolders) to clean; nothing outside it is ever touched',
    '--model <dir>        model exported by `bears train`, to rank the images (the ranking is cached in <data-dir>/.bears-clean)',
    '--ranking <file>     use a ranking.json written by `bears interpret` instead of computing one',
    '--rerank             compute the ranking again instead of reusing the cached one',
    '--port N             port on 127.0.0.1 (default: any free port)',
    '--no-open            do not open the browser (the URL is the first line printed)',
    '--undo               undo the last change (with --all: every change, newest first)',
    '--empty-trash        remove the files in <data-dir>/.bears-clean/trash for good (asks first; --yes to not ask)',
    '--apply <csv>        apply decisions from a CSV (file,decision[,label]; decision keep|delete|relabel) as one undoable step',
    '--rollback           undo an action a crashed session left half-done, instead of finishing it (the default)',
    'Every change is journaled before it happens; <data-dir>/cleaned.csv (file,label) is rewritten after each one:',
    'train on it with `bears train <data-dir> --csv <data-dir>/cleaned.csv`.',
  ],
  examples: [
    'bears clean data/bears --model model',
    'bears clean data/bears --undo',
    'bears clean data/bears --apply decisions.csv',
    'bears clean data/bears --empty-trash',
  ],
  options: {
    model: { type: 'string' },
    ranking: { type: 'string' },
    rerank: { type: 'boolean', default: false },
    port: { type: 'string' },
    'no-open': { type: 'boolean', default: false },
    undo: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    'empty-trash': { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
    apply: { type: 'string' },
    rollback: { type: 'boolean', default: false },
  },
  async run({ positionals, values }, out) {
    const dataDir = existingDir(requirePositional(positionals, 0, 'data-dir'), 'data folder');
    const modes = ['undo', 'empty-trash', 'apply'].filter((m) => values[m]);
    if (modes.length > 1) throw usageError(`use one of --${modes.join(', --')} at a time`);
    if (values.all && !values.undo) throw usageError('--all goes with --undo');
    const recover = values.rollback ? 'rollback' : 'replay';
    try {
      if (values.undo) return await undo(dataDir, Boolean(values.all), recover, out);
      if (values['empty-trash']) return await emptyTrash(dataDir, Boolean(values.yes), recover, out);
      if (typeof values.apply === 'string') return await apply(dataDir, existingFile(values.apply, 'decisions file'), recover, out);
      return await serve(dataDir, values, recover, out);
    } catch (err) {
      if (err instanceof CleanError) throw new CliError(err.message);
      throw err;
    }
  },
};

type Recover = 'replay' | 'rollback';

/** The cached ranking when there is one: --undo and --apply work without a model. */
async function cachedRanking(dataDir: string): Promise<DatasetRanking | undefined> {
  return readRanking(rankingCachePath(dataDir)).catch(() => undefined);
}

async function openStore(dataDir: string, recover: Recover, out: Output): Promise<CleanStore> {
  const store = await CleanStore.open(dataDir, await cachedRanking(dataDir), { recover });
  for (const r of store.recovered) out.log(`interrupted action #${r.seq} from an earlier session: ${r.outcome}${r.note ? ` (${r.note})` : ''}`);
  return store;
}

async function undo(dataDir: string, all: boolean, recover: Recover, out: Output): Promise<number> {
  const store = await openStore(dataDir, recover, out);
  try {
    const done = all ? await store.undoAll() : [await store.undo()];
    for (const r of done) out.print(`undid #${r.undoes}: ${r.changes.map((c) => (c.move ? `${c.move.from} -> ${c.move.to}` : c.file)).join(', ')}`);
    if (all && !done.length) out.print('nothing to undo');
    out.result({ undone: done.map((r) => r.undoes), counts: store.counts() });
    return 0;
  } finally {
    await store.close();
  }
}

async function emptyTrash(dataDir: string, yes: boolean, recover: Recover, out: Output): Promise<number> {
  const store = await openStore(dataDir, recover, out);
  try {
    const files = await store.trashContents();
    if (!files.length) {
      out.print('the trash is empty');
      out.result({ removed: 0, bytes: 0 });
      return 0;
    }
    const mb = (files.reduce((s, f) => s + f.bytes, 0) / 1e6).toFixed(1);
    if (!yes) {
      if (!process.stdin.isTTY) throw new CliError(`${files.length} files (${mb} MB) in the trash: pass --yes to remove them for good without a question`);
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`Remove ${files.length} files (${mb} MB) in ${dataDir}/.bears-clean/trash for good? This cannot be undone. [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        out.print('kept the trash as it is');
        out.result({ removed: 0, bytes: 0 });
        return 0;
      }
    }
    const r = await store.emptyTrash();
    out.print(`removed ${r.removed} files (${(r.bytes / 1e6).toFixed(1)} MB) for good`);
    out.result(r);
    return 0;
  } finally {
    await store.close();
  }
}

async function apply(dataDir: string, csv: string, recover: Recover, out: Output): Promise<number> {
  const rows = await readDecisions(csv);
  const store = await openStore(dataDir, recover, out);
  try {
    const r = await applyDecisions(store, rows);
    out.print(r.seq === null ? `nothing to change (${r.unchanged} decisions already in force)` : `applied ${r.changed} decisions as action #${r.seq} (undo with: bears clean ${dataDir} --undo)`);
    const csvPath = await store.writeCleanedCsv();
    if (csvPath) out.print(`cleaned.csv: ${csvPath}`);
    out.result({ ...r, counts: store.counts(), cleaned_csv: csvPath ?? null });
    return 0;
  } finally {
    await store.close();
  }
}

async function serve(dataDir: string, values: ParsedArgs['values'], recover: Recover, out: Output): Promise<number> {
  const port = num(values.port, 'port', { int: true, min: 0, max: 65535 }) ?? 0;
  const modelDir = typeof values.model === 'string' ? existingDir(values.model, 'model folder') : undefined;
  const rankingFile = typeof values.ranking === 'string' ? existingFile(values.ranking, 'ranking file') : undefined;
  const cached = await cachedRanking(dataDir);
  if (!modelDir && !rankingFile && !cached) throw usageError('missing --model <model-dir> (or --ranking <ranking.json>)');
  // A cache made with another model is stale.
  const otherModel = Boolean(modelDir && cached?.model?.dir && resolve(cached.model.dir) !== modelDir);
  if (otherModel && !rankingFile) out.log(`the cached ranking was made with ${cached!.model!.dir}: ranking again with ${modelDir}`);
  const { ranking, source } = await loadRanking(dataDir, {
    rankingFile,
    refresh: Boolean(values.rerank) || otherModel,
    compute: modelDir ? () => rank(modelDir, dataDir, values, out) : undefined,
  }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  const server = await startCleaner({ dataDir, ranking, port, recover });
  // The URL first: scripts and tests read it from the first line.
  out.print(`cleaner: ${server.url}`);
  out.result({ cleaner: server.url });
  for (const r of server.store.recovered) out.log(`interrupted action #${r.seq} from an earlier session: ${r.outcome}${r.note ? ` (${r.note})` : ''}`);
  if (source === 'cache') out.log(`reusing the ranking cached on ${ranking.createdAt || 'an earlier run'} in ${rankingCachePath(dataDir)} (--rerank computes it again)`);
  out.log(`${ranking.items.length} images ranked, ${ranking.duplicates.length} duplicate groups; Ctrl+C to stop`);
  if (!values['no-open']) openBrowser(server.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const counts = server.store.counts();
  const trash = await server.store.trashContents();
  await server.close();
  out.print(`reviewed ${counts.reviewed} of ${counts.total}: ${counts.deleted} deleted, ${counts.relabeled} relabeled`);
  out.print(`cleaned.csv: ${dataDir}/cleaned.csv`);
  if (trash.length) out.print(`${trash.length} files in the trash (bears clean ${dataDir} --empty-trash removes them for good)`);
  out.result({ counts, cleaned_csv: `${dataDir}/cleaned.csv`, trash: trash.length });
  return 0;
}

async function rank(modelDir: string, dataDir: string, values: ParsedArgs['values'], out: Output): Promise<DatasetRanking> {
  const backend = await startBackend(out, values);
  let bar: ReturnType<Output['progress']> | undefined;
  let phase = '';
  const ranking = await rankFolder(modelDir, dataDir, {
    backend,
    onProgress: (p) => {
      if (p.phase !== phase) {
        bar?.done();
        phase = p.phase;
        bar = out.progress(p.phase, p.total);
      }
      bar?.update(p.done);
    },
  });
  bar?.done();
  return ranking;
}

/** Best effort: the URL is printed anyway. */
function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener on this machine: the printed URL is enough.
  }
}
