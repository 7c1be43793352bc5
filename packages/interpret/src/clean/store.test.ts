import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { applyDecisions, readDecisions } from './apply.js';
import type { ActionRecord } from './journal.js';
import { CleanError, CleanStore } from './store.js';
import { FIXTURE_FILES, rankingFor, syntheticDataset } from './test-support/fixtures.js';

const open: CleanStore[] = [];
async function openStore(dir: string, ranking: Parameters<typeof CleanStore.open>[1], opts: Parameters<typeof CleanStore.open>[2] = {}) {
  const s = await CleanStore.open(dir, ranking, opts);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
});

const has = (dir: string, key: string) => existsSync(path.join(dir, key));
const csv = (dir: string) => readFileSync(path.join(dir, 'cleaned.csv'), 'utf8').trim().split('\n');
const journal = (dir: string) => readFileSync(path.join(dir, '.bears-clean/journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('CleanStore', () => {
  it('delete moves into the trash, undo brings it back, and cleaned.csv follows', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    expect(csv(dir)).toHaveLength(1 + 9);
    const r = await store.decide([{ file: 'black/b1.png', decision: 'delete' }], 'delete');
    expect(has(dir, 'black/b1.png')).toBe(false);
    expect(has(dir, '.bears-clean/trash/black/b1.png')).toBe(true);
    expect(store.items.get('black/b1.png')!.decision).toBe('delete');
    expect(csv(dir)).not.toContain('black/b1.png,black');
    expect(store.counts()).toMatchObject({ reviewed: 1, changed: 1, deleted: 1 });
    await store.undo(r!.seq);
    expect(has(dir, 'black/b1.png')).toBe(true);
    expect(has(dir, '.bears-clean/trash/black/b1.png')).toBe(false);
    expect(store.items.get('black/b1.png')!.decision).toBeUndefined();
    expect(csv(dir)).toContain('black/b1.png,black');
  });

  it('relabel moves into the other class folder, renaming on a clash; undo moves it back', async () => {
    const { dir, ranking } = await syntheticDataset();
    await fs.copyFile(path.join(dir, 'black/b2.png'), path.join(dir, 'black/g1.png')); // a clash waiting in black/
    const store = await openStore(dir, ranking);
    await store.decide([{ file: 'grizzly/g1.png', decision: 'relabel', label: 'black' }], 'relabel');
    expect(has(dir, 'grizzly/g1.png')).toBe(false);
    expect(has(dir, 'black/g1_1.png')).toBe(true);
    expect(has(dir, 'black/g1.png')).toBe(true); // the other file is untouched
    expect(store.items.get('grizzly/g1.png')).toMatchObject({ location: 'black/g1_1.png', label: 'black', decision: 'relabel' });
    expect(csv(dir)).toContain('black/g1_1.png,black');
    await store.undo();
    expect(has(dir, 'grizzly/g1.png')).toBe(true);
    expect(has(dir, 'black/g1_1.png')).toBe(false);
    expect(csv(dir)).toContain('grizzly/g1.png,grizzly');
  });

  it('keep records a decision without moving; undo clears it; relabel to its own class is a keep', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    const r = await store.decide([{ file: 'teddy/t2.png', decision: 'relabel', label: 'teddy' }], 'relabel');
    expect(r!.changes[0]).toEqual({ file: 'teddy/t2.png', decision: 'keep' });
    expect(await store.decide([{ file: 'teddy/t2.png', decision: 'keep' }], 'keep')).toBeUndefined(); // no-op
    expect(store.counts()).toMatchObject({ reviewed: 1, changed: 0 });
    await store.undo();
    expect(store.counts().reviewed).toBe(0);
    await expect(store.undo()).rejects.toThrow(/nothing to undo/);
  });

  it('a duplicate resolution is one action over both files, undone together', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    await store.decide([{ file: 'teddy/t1.png', decision: 'keep' }, { file: 'grizzly/dup_t1.png', decision: 'delete' }], 'duplicates');
    expect(has(dir, '.bears-clean/trash/grizzly/dup_t1.png')).toBe(true);
    expect(store.counts().reviewed).toBe(2);
    await store.undo();
    expect(has(dir, 'grizzly/dup_t1.png')).toBe(true);
    expect(store.counts().reviewed).toBe(0);
  });

  it('changing a decision moves from where the file is; undo steps back one decision at a time', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    const del = await store.decide([{ file: 'black/b2.png', decision: 'delete' }], 'delete');
    await store.decide([{ file: 'black/b2.png', decision: 'relabel', label: 'teddy' }], 'relabel');
    expect(has(dir, 'teddy/b2.png')).toBe(true);
    expect(has(dir, '.bears-clean/trash/black/b2.png')).toBe(false);
    await expect(store.undo(del!.seq)).rejects.toThrow(/changed again later/);
    await store.undo();
    expect(has(dir, '.bears-clean/trash/black/b2.png')).toBe(true);
    expect(store.items.get('black/b2.png')!.decision).toBe('delete');
    await store.undo();
    expect(has(dir, 'black/b2.png')).toBe(true);
  });

  it('the journal is the state: a reopened store shows the same decisions and can undo them', async () => {
    const { dir, ranking } = await syntheticDataset();
    let store = await openStore(dir, ranking);
    await store.decide([{ file: 'black/b1.png', decision: 'delete' }], 'delete');
    await store.decide([{ file: 'grizzly/g1.png', decision: 'relabel', label: 'black' }], 'relabel');
    await store.decide([{ file: 'teddy/t3.png', decision: 'keep' }], 'keep');
    await store.close();
    store = await openStore(dir, ranking);
    expect(store.counts()).toMatchObject({ reviewed: 3, deleted: 1, relabeled: 1 });
    expect(store.items.get('grizzly/g1.png')!.location).toBe('black/g1.png');
    const undone = await store.undoAll();
    expect(undone).toHaveLength(3);
    for (const f of ['black/b1.png', 'grizzly/g1.png', 'teddy/t3.png']) expect(has(dir, f)).toBe(true);
    expect(store.counts().reviewed).toBe(0);
  });

  it('after a re-ranking of the cleaned folder, each file is listed once and old actions still undo', async () => {
    const { dir, ranking } = await syntheticDataset();
    let store = await openStore(dir, ranking);
    await store.decide([{ file: 'grizzly/g1.png', decision: 'relabel', label: 'black' }], 'relabel');
    await store.close();
    const reranked = rankingFor(FIXTURE_FILES.map((f) => (f === 'grizzly/g1.png' ? 'black/g1.png' : f)));
    store = await openStore(dir, reranked);
    expect(csv(dir).filter((l) => l.startsWith('black/g1.png'))).toEqual(['black/g1.png,black']);
    expect(csv(dir)).toHaveLength(1 + 9);
    await store.undo();
    expect(has(dir, 'grizzly/g1.png')).toBe(true);
    expect(store.items.get('black/g1.png')!.blocked).toMatch(/moved as grizzly\/g1.png/);
    expect(csv(dir).filter((l) => l.includes('g1.png'))).toEqual(['grizzly/g1.png,grizzly']);
  });

  it('refuses files outside the dataset, unknown classes and unknown files', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    await expect(store.decide([{ file: '../etc/passwd', decision: 'delete' }], 'apply')).rejects.toMatchObject({ status: 403 });
    await expect(store.decide([{ file: '/etc/passwd', decision: 'delete' }], 'apply')).rejects.toMatchObject({ status: 403 });
    await expect(store.decide([{ file: 'black/nope.png', decision: 'delete' }], 'delete')).rejects.toMatchObject({ status: 404 });
    await expect(store.decide([{ file: 'black/b1.png', decision: 'relabel', label: '../x' }], 'relabel')).rejects.toThrow(/unknown class/);
    await expect(store.decide([{ file: 'black/b1.png', decision: 'relabel' }], 'relabel')).rejects.toThrow(/needs a label/);
    expect(journal(dir)).toEqual([]);
  });

  it('a symlink leading out of the dataset is listed as blocked and never moved', async () => {
    const { dir, ranking } = await syntheticDataset();
    const outside = path.join(path.dirname(dir), `outside-${path.basename(dir)}.png`);
    await fs.copyFile(path.join(dir, 'black/b3.png'), outside);
    await fs.symlink(outside, path.join(dir, 'black/link.png'));
    ranking.items.push({ ...ranking.items[0]!, file: 'black/link.png', label: 'black' });
    const store = await openStore(dir, ranking);
    expect(store.items.get('black/link.png')!.blocked).toMatch(/outside/);
    await expect(store.decide([{ file: 'black/link.png', decision: 'delete' }], 'delete')).rejects.toMatchObject({ status: 403 });
    expect(existsSync(outside)).toBe(true);
    expect(csv(dir).some((l) => l.startsWith('black/link.png'))).toBe(false);
  });

  it('replays an action journaled before a crash that stopped before the move', async () => {
    const { dir, ranking } = await syntheticDataset();
    let store = await openStore(dir, ranking);
    await store.decide([{ file: 'teddy/t2.png', decision: 'keep' }], 'keep');
    await store.close();
    // The crash: the intent line is on disk (fsync'd), the moves never happened, no `done` line.
    const intent: ActionRecord = {
      type: 'action', seq: 2, at: new Date().toISOString(), kind: 'duplicates',
      changes: [{ file: 'teddy/t1.png', decision: 'keep' }, { file: 'grizzly/dup_t1.png', decision: 'delete', move: { from: 'grizzly/dup_t1.png', to: '.bears-clean/trash/grizzly/dup_t1.png' } }],
    };
    const delIntent: ActionRecord = { type: 'action', seq: 3, at: intent.at, kind: 'delete', changes: [{ file: 'black/b1.png', decision: 'delete', move: { from: 'black/b1.png', to: '.bears-clean/trash/black/b1.png' } }] };
    // seq 2 finished its move but not its `done` line; seq 3 did not move at all; plus a torn line.
    await fs.mkdir(path.join(dir, '.bears-clean/trash/grizzly'), { recursive: true });
    await fs.rename(path.join(dir, 'grizzly/dup_t1.png'), path.join(dir, '.bears-clean/trash/grizzly/dup_t1.png'));
    await fs.appendFile(path.join(dir, '.bears-clean/journal.jsonl'), `${JSON.stringify(intent)}\n${JSON.stringify(delIntent)}\n{"type":"done","se`);
    store = await openStore(dir, ranking);
    expect(store.recovered).toEqual([{ seq: 2, outcome: 'replayed' }, { seq: 3, outcome: 'replayed' }]);
    expect(store.droppedLines).toBe(1);
    expect(has(dir, '.bears-clean/trash/black/b1.png')).toBe(true);
    expect(has(dir, 'black/b1.png')).toBe(false);
    expect(store.counts()).toMatchObject({ reviewed: 4, deleted: 2 });
    expect(csv(dir).some((l) => l.startsWith('black/b1.png'))).toBe(false);
    // Replayed actions are ordinary ones: they undo, and the journal stays parseable.
    await store.undo();
    expect(has(dir, 'black/b1.png')).toBe(true);
    expect(journal(dir).at(-1)).toMatchObject({ type: 'done' });
  });

  it('a cleaner process killed (SIGKILL) right after the journal write is replayed, or rolled back, at the next start', async () => {
    const storeJs = fileURLToPath(new URL('../../dist/clean/store.js', import.meta.url));
    /** Runs decide() in a child whose first `fsOp` kills it: a real crash at that point of the move. */
    const crashIn = async (dir: string, ranking: unknown, fsOp: 'link' | 'unlink') => {
      const script = path.join(dir, '..', `${path.basename(dir)}-crash.mjs`);
      writeFileSync(script, `
        import { promises as fsp } from 'node:fs';
        const { CleanStore } = await import(${JSON.stringify(pathToFileURL(storeJs).href)});
        const store = await CleanStore.open(process.argv[2], JSON.parse(process.argv[3]));
        fsp.${fsOp} = async () => { process.kill(process.pid, 'SIGKILL'); await new Promise(() => {}); };
        await store.decide([{ file: 'grizzly/g1.png', decision: 'relabel', label: 'teddy' }], 'relabel');
      `);
      const child = spawn(process.execPath, [script, dir, JSON.stringify(ranking)], { stdio: 'ignore' });
      return new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    };

    const a = await syntheticDataset();
    expect(await crashIn(a.dir, a.ranking, 'link')).toBe('SIGKILL');
    expect(journal(a.dir)).toEqual([expect.objectContaining({ type: 'action', seq: 1 })]); // intent only
    expect(has(a.dir, 'grizzly/g1.png')).toBe(true);
    const replayed = await openStore(a.dir, a.ranking); // the dead pid's lock does not block
    expect(replayed.recovered).toEqual([{ seq: 1, outcome: 'replayed' }]);
    expect(has(a.dir, 'teddy/g1.png')).toBe(true);
    expect(has(a.dir, 'grizzly/g1.png')).toBe(false);
    expect(csv(a.dir)).toContain('teddy/g1.png,teddy');

    const b = await syntheticDataset();
    expect(await crashIn(b.dir, b.ranking, 'unlink')).toBe('SIGKILL'); // linked, not yet unlinked
    expect(has(b.dir, 'teddy/g1.png') && has(b.dir, 'grizzly/g1.png')).toBe(true);
    const rolledBack = await openStore(b.dir, b.ranking, { recover: 'rollback' });
    expect(rolledBack.recovered).toEqual([{ seq: 1, outcome: 'rolled back' }]);
    expect(has(b.dir, 'grizzly/g1.png')).toBe(true);
    expect(has(b.dir, 'teddy/g1.png')).toBe(false);
    expect(rolledBack.counts().reviewed).toBe(0);
  });

  it('rolls back an interrupted action when asked, including a move stopped between link and unlink', async () => {
    const { dir, ranking } = await syntheticDataset();
    const rec: ActionRecord = {
      type: 'action', seq: 1, at: new Date().toISOString(), kind: 'duplicates',
      changes: [
        { file: 'black/b1.png', decision: 'delete', move: { from: 'black/b1.png', to: '.bears-clean/trash/black/b1.png' } },
        { file: 'grizzly/g1.png', decision: 'relabel', label: 'teddy', move: { from: 'grizzly/g1.png', to: 'teddy/g1.png' } },
      ],
    };
    await fs.mkdir(path.join(dir, '.bears-clean/trash/black'), { recursive: true });
    await fs.rename(path.join(dir, 'black/b1.png'), path.join(dir, '.bears-clean/trash/black/b1.png')); // first move done
    await fs.link(path.join(dir, 'grizzly/g1.png'), path.join(dir, 'teddy/g1.png')); // second: linked, not unlinked
    writeFileSync(path.join(dir, '.bears-clean/journal.jsonl'), `${JSON.stringify(rec)}\n`);
    const store = await openStore(dir, ranking, { recover: 'rollback' });
    expect(store.recovered).toEqual([{ seq: 1, outcome: 'rolled back' }]);
    expect(has(dir, 'black/b1.png')).toBe(true);
    expect(has(dir, 'grizzly/g1.png')).toBe(true);
    expect(has(dir, 'teddy/g1.png')).toBe(false);
    expect(store.counts().reviewed).toBe(0);
    expect(journal(dir).at(-1)).toMatchObject({ type: 'aborted', seq: 1 });
  });

  it('replay finishes a move stopped between link and unlink', async () => {
    const { dir, ranking } = await syntheticDataset();
    const rec: ActionRecord = { type: 'action', seq: 1, at: new Date().toISOString(), kind: 'relabel', changes: [{ file: 'grizzly/g1.png', decision: 'relabel', label: 'teddy', move: { from: 'grizzly/g1.png', to: 'teddy/g1.png' } }] };
    await fs.mkdir(path.join(dir, '.bears-clean'), { recursive: true });
    await fs.link(path.join(dir, 'grizzly/g1.png'), path.join(dir, 'teddy/g1.png'));
    writeFileSync(path.join(dir, '.bears-clean/journal.jsonl'), `${JSON.stringify(rec)}\n`);
    const store = await openStore(dir, ranking);
    expect(store.recovered[0]!.outcome).toBe('replayed');
    expect(has(dir, 'grizzly/g1.png')).toBe(false);
    expect(store.items.get('grizzly/g1.png')!.label).toBe('teddy');
  });

  it('a move that cannot happen changes nothing and says why', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    // A plain file where the trash needs the folder black/: the second move fails after the first.
    await fs.mkdir(path.join(dir, '.bears-clean/trash'), { recursive: true });
    await fs.writeFile(path.join(dir, '.bears-clean/trash/black'), 'in the way');
    await expect(store.decide([{ file: 'teddy/t2.png', decision: 'delete' }, { file: 'black/b1.png', decision: 'delete' }], 'duplicates')).rejects.toThrow(/nothing changed/);
    expect(has(dir, 'teddy/t2.png')).toBe(true);
    expect(has(dir, '.bears-clean/trash/teddy/t2.png')).toBe(false);
    expect(has(dir, 'black/b1.png')).toBe(true);
    await fs.rm(path.join(dir, 'black/b2.png'));
    await expect(store.decide([{ file: 'black/b2.png', decision: 'delete' }], 'delete')).rejects.toThrow(/missing from disk/);
    expect(journal(dir).at(-1)).toMatchObject({ type: 'aborted' });
    expect(store.counts().reviewed).toBe(0);
  });

  it('empties the trash for good (the only removal); emptied deletes cannot be undone', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    await store.decide([{ file: 'black/b1.png', decision: 'delete' }], 'delete');
    await store.decide([{ file: 'teddy/t2.png', decision: 'keep' }], 'keep');
    expect((await store.trashContents()).map((f) => f.key)).toEqual(['.bears-clean/trash/black/b1.png']);
    const r = await store.emptyTrash();
    expect(r.removed).toBe(1);
    expect(r.bytes).toBeGreaterThan(0);
    expect(has(dir, '.bears-clean/trash')).toBe(false);
    expect(store.items.get('black/b1.png')!.location).toBeNull();
    await store.undo(); // the keep is still undoable
    await expect(store.undo()).rejects.toThrow(/nothing to undo/);
    await expect(store.decide([{ file: 'black/b1.png', decision: 'keep' }], 'keep')).rejects.toThrow(/emptied/);
    await store.close();
    const again = await openStore(dir, ranking);
    expect(again.items.get('black/b1.png')!.location).toBeNull();
    expect(again.counts().deleted).toBe(1);
  });

  it('refuses a journal damaged above its last line, and lets go of the dataset', async () => {
    const { dir, ranking } = await syntheticDataset();
    await fs.mkdir(path.join(dir, '.bears-clean'), { recursive: true });
    writeFileSync(path.join(dir, '.bears-clean/journal.jsonl'), '{"type":"done","seq":1}\ngarbage\n{"type":"done","seq":2}\n');
    await expect(CleanStore.open(dir, ranking)).rejects.toThrow(/journal is damaged at line 2/);
    expect(has(dir, '.bears-clean/lock')).toBe(false);
    expect(readFileSync(path.join(dir, '.bears-clean/journal.jsonl'), 'utf8')).toContain('garbage'); // left for a person to look at
  });

  it('refuses a cleaner folder that is a link leading out of the dataset', async () => {
    const { dir, ranking } = await syntheticDataset();
    const elsewhere = await fs.mkdtemp(path.join(path.dirname(dir), 'elsewhere-'));
    await fs.symlink(elsewhere, path.join(dir, '.bears-clean'));
    await expect(CleanStore.open(dir, ranking)).rejects.toThrow(/leads outside the dataset/);
    expect(await fs.readdir(elsewhere)).toEqual([]);
  });

  it('refuses a second cleaner process on the same dataset', async () => {
    const { dir, ranking } = await syntheticDataset();
    await fs.mkdir(path.join(dir, '.bears-clean'), { recursive: true });
    writeFileSync(path.join(dir, '.bears-clean/lock'), `${process.ppid}\n`); // a live process that is not us
    await expect(CleanStore.open(dir, ranking)).rejects.toThrow(/another bears clean/);
  });
});

describe('applyDecisions', () => {
  it('applies a decisions CSV as one undoable action, with the same refusals', async () => {
    const { dir, ranking } = await syntheticDataset();
    const store = await openStore(dir, ranking);
    const file = path.join(dir, '..', `${path.basename(dir)}-decisions.csv`);
    writeFileSync(file, 'file,decision,label\nblack/b1.png,delete,\ngrizzly/g1.png,relabel,black\nteddy/t2.png,keep,\n');
    const rows = await readDecisions(file);
    const report = await applyDecisions(store, rows);
    expect(report).toMatchObject({ changed: 3, unchanged: 0 });
    expect(has(dir, 'black/g1.png')).toBe(true);
    expect(has(dir, '.bears-clean/trash/black/b1.png')).toBe(true);
    await store.undo(report.seq!);
    expect(has(dir, 'grizzly/g1.png')).toBe(true);
    expect(has(dir, 'black/b1.png')).toBe(true);

    writeFileSync(file, 'file,label\nblack/b2.png,teddy\nblack/b3.png,\n'); // fastai style: empty label = delete
    expect(await readDecisions(file)).toEqual([
      { line: 2, file: 'black/b2.png', decision: 'relabel', label: 'teddy' },
      { line: 3, file: 'black/b3.png', decision: 'delete' },
    ]);
    writeFileSync(file, 'file,decision\nblack/b2.png,delete\n../../etc/passwd,delete\n');
    await expect(applyDecisions(store, await readDecisions(file))).rejects.toThrow(CleanError);
    expect(has(dir, 'black/b2.png')).toBe(true); // all or nothing
    writeFileSync(file, 'file,decision\nblack/b2.png,burn\n');
    await expect(readDecisions(file)).rejects.toThrow(/line 2: decision 'burn'/);
  });
});
