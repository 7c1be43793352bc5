import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { csvField } from '@bears/data';
import { writeFileAtomic } from '@bears/data/node';
import {
  CLEAN_DIR, OutsideDatasetError, TRASH_DIR, checkKey, checkLabel, folderLabel, freeKey, keyInClass, realRoot, resolveInside, trashKey,
} from './dataset-paths.js';
import { finishLinkedMove, moveFile, moveState, removeFile } from './file-moves.js';
import { Journal, type ActionKind, type ActionRecord, type Change, type Decision, type JournalRecord, type Move, type PurgeRecord } from './journal.js';
import type { DatasetRanking, RankedItem } from './ranking-source.js';

/** What to do with an action that was journaled but not finished when the last session stopped. */
export type Recovery = 'replay' | 'rollback';

export interface CleanStoreOptions {
  recover?: Recovery;
  /** Where cleaned.csv goes (default <data-dir>/cleaned.csv); false to not write it. */
  cleanedCsv?: string | false;
}

export interface ItemState {
  id: string;
  /** The item's original key (its path in the ranking). */
  file: string;
  /** Where the file is now (a key; inside the trash when deleted); null once emptied from the trash. */
  location: string | null;
  originalLabel: string;
  decision?: Decision;
  /** The label it has now (its new class after a relabel). */
  label: string;
  ranked?: RankedItem;
  /** Why the cleaner will not touch it (missing, or a link leading out of the dataset). */
  blocked?: string;
  /** Decisions in force, oldest first; undo pops the top one. */
  stack: { seq: number; decision: Decision; label?: string }[];
}

export interface DecisionInput {
  file: string;
  decision: Decision;
  label?: string;
}

export interface RecoveryNote {
  seq: number;
  outcome: 'replayed' | 'rolled back' | 'aborted';
  note?: string;
}

export interface HistoryEntry {
  seq: number;
  at: string;
  kind: ActionKind;
  undoes?: number;
  undone: boolean;
  undoable: boolean;
  changes: Change[];
}

/** A user-facing refusal (bad input, conflict) as opposed to an I/O failure. */
export class CleanError extends Error {
  constructor(message: string, readonly status: 400 | 403 | 404 | 409 = 400) {
    super(message);
    this.name = 'CleanError';
  }
}

/** Opaque id of an item on the wire: never a path. */
export function itemId(file: string): string {
  return createHash('sha256').update(file).digest('hex').slice(0, 16);
}

/**
 * The cleaner's state over one dataset: the ranking's items, where each file is now and what was
 * decided, all derived from the journal. Every change is serialized, journaled before it happens,
 * and undoable until the trash is emptied.
 */
export class CleanStore {
  readonly items = new Map<string, ItemState>();
  private readonly byId = new Map<string, ItemState>();
  /** Items by where their file is now; two only after a re-ranking (old key from the journal, new from the ranking). */
  private readonly atLocation = new Map<string, Set<ItemState>>();
  private readonly actions = new Map<number, ActionRecord>();
  private readonly undone = new Set<number>();
  private readonly committed: (ActionRecord | PurgeRecord)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  recovered: RecoveryNote[] = [];
  droppedLines = 0;

  private constructor(
    readonly dataDir: string,
    readonly rootReal: string,
    readonly ranking: DatasetRanking | undefined,
    private readonly journal: Journal,
    private readonly csvPath: string | undefined,
  ) {}

  static async open(dataDir: string, ranking: DatasetRanking | undefined, opts: CleanStoreOptions = {}): Promise<CleanStore> {
    const root = path.resolve(dataDir);
    const rootReal = await realRoot(root).catch(() => {
      throw new CleanError(`data folder not found: ${dataDir}`, 404);
    });
    // The cleaner's own folder must be a real folder of the dataset: a link there could send moves out.
    await resolveInside(rootReal, `${CLEAN_DIR}/journal.jsonl`, { allowCleanDir: true }).catch((err: Error) => {
      throw new CleanError(`${CLEAN_DIR} in ${dataDir}: ${err.message}`, 403);
    });
    await acquireLock(rootReal);
    let journal: Journal | undefined;
    try {
      const opened = await Journal.open(path.join(rootReal, CLEAN_DIR, 'journal.jsonl'));
      journal = opened.journal;
      const csvPath = opts.cleanedCsv === false ? undefined : path.resolve(opts.cleanedCsv ?? path.join(rootReal, 'cleaned.csv'));
      const store = new CleanStore(root, rootReal, ranking, journal, csvPath);
      store.droppedLines = opened.dropped;
      for (const it of ranking?.items ?? []) {
        checkKey(it.file);
        store.addItem(it.file, it.label, it);
      }
      await store.recover(opened.records, opts.recover ?? 'replay');
      await store.checkFiles();
      if (ranking) await store.writeCleanedCsv();
      return store;
    } catch (err) {
      await journal?.close();
      await releaseLock(rootReal);
      throw err;
    }
  }

  get classes(): string[] {
    return this.ranking?.classes ?? [];
  }

  /** The seq of the last finished journal record: two tabs compare it to know when to refresh. */
  get version(): number {
    return this.committed.at(-1)?.seq ?? 0;
  }

  byItemId(id: string): ItemState | undefined {
    return this.byId.get(id);
  }

  /** Sets new decisions for some items (one journaled action), moving their files accordingly. */
  decide(inputs: DecisionInput[], kind: ActionKind): Promise<ActionRecord | undefined> {
    return this.serialized(async () => {
      const changes: Change[] = [];
      const claimed = new Set<string>();
      const seen = new Set<string>();
      for (const input of inputs) {
        const item = await this.itemFor(input.file, kind === 'apply');
        if (seen.has(item.file)) throw new CleanError(`${item.file} appears twice in one action`);
        seen.add(item.file);
        await this.checkUsable(item);
        let decision = input.decision;
        let label: string | undefined;
        if (decision === 'relabel') {
          if (!input.label) throw new CleanError(`relabel of ${item.file} needs a label`);
          label = this.checkedLabel(input.label);
          if (folderLabel(item.file) !== item.originalLabel) throw new CleanError(`cannot relabel ${item.file}: its label does not come from its folder`);
          if (label === item.originalLabel) decision = 'keep';
        } else if (decision !== 'keep' && decision !== 'delete') {
          throw new CleanError(`unknown decision '${String(decision)}' (keep, delete or relabel)`);
        }
        const top = item.stack.at(-1);
        if (top && top.decision === decision && top.label === (decision === 'relabel' ? label : undefined)) continue;
        const target = decision === 'keep' ? item.file : decision === 'delete' ? trashKey(item.file) : keyInClass(item.file, label!);
        const change: Change = { file: item.file, decision, ...(decision === 'relabel' ? { label } : {}) };
        if (target !== item.location) {
          const to = await freeKey(this.rootReal, target, (k) => claimed.has(k));
          claimed.add(to);
          change.move = { from: item.location!, to };
        }
        changes.push(change);
      }
      if (!changes.length) return undefined;
      const record: ActionRecord = { type: 'action', seq: this.journal.nextSeq(), at: new Date().toISOString(), kind, changes };
      await this.commit(record);
      return record;
    });
  }

  /** Undoes one action (the last one that can be undone when `seq` is not given). */
  undo(seq?: number): Promise<ActionRecord> {
    return this.serialized(async () => {
      const target = seq === undefined ? this.lastUndoable() : this.actions.get(seq);
      if (!target) throw new CleanError(seq === undefined ? 'nothing to undo' : `no action ${seq}`, seq === undefined ? 409 : 404);
      const why = this.whyNotUndoable(target);
      if (why) throw new CleanError(why, 409);
      const changes: Change[] = [];
      const claimed = new Set<string>();
      for (const c of [...target.changes].reverse()) {
        const back: Change = { file: c.file };
        if (c.move) {
          const to = await freeKey(this.rootReal, c.move.from, (k) => claimed.has(k));
          claimed.add(to);
          back.move = { from: c.move.to, to };
        }
        changes.push(back);
      }
      const record: ActionRecord = { type: 'action', seq: this.journal.nextSeq(), at: new Date().toISOString(), kind: 'undo', undoes: target.seq, changes };
      await this.commit(record);
      return record;
    });
  }

  /** Undoes every action, newest first. */
  async undoAll(): Promise<ActionRecord[]> {
    const done: ActionRecord[] = [];
    while (this.lastUndoable()) done.push(await this.undo());
    return done;
  }

  lastUndoable(): ActionRecord | undefined {
    for (let i = this.committed.length - 1; i >= 0; i--) {
      const r = this.committed[i]!;
      if (r.type === 'action' && r.kind !== 'undo' && !this.undone.has(r.seq) && !this.whyNotUndoable(r)) return r;
    }
    return undefined;
  }

  whyNotUndoable(r: ActionRecord): string | undefined {
    if (r.kind === 'undo') return `action ${r.seq} is itself an undo`;
    if (this.undone.has(r.seq)) return `action ${r.seq} was already undone`;
    for (const c of r.changes) {
      const item = this.items.get(c.file)!;
      if (item.location === null) return `${c.file} was emptied from the trash`;
      if (item.blocked) return `${c.file}: ${item.blocked}`;
      if (item.stack.at(-1)?.seq !== r.seq) return `${c.file} was changed again later: undo that first`;
    }
    return undefined;
  }

  /** The action that undo on this item would reverse, when it can be undone now. */
  undoableFor(item: ItemState): number | undefined {
    const top = item.stack.at(-1);
    const r = top && this.actions.get(top.seq);
    return r && !this.whyNotUndoable(r) ? r.seq : undefined;
  }

  history(): HistoryEntry[] {
    return this.committed
      .filter((r): r is ActionRecord => r.type === 'action')
      .map((r) => ({ seq: r.seq, at: r.at, kind: r.kind, undoes: r.undoes, undone: this.undone.has(r.seq), undoable: !this.whyNotUndoable(r), changes: r.changes }));
  }

  counts(): { total: number; reviewed: number; changed: number; deleted: number; relabeled: number } {
    let total = 0, reviewed = 0, deleted = 0, relabeled = 0;
    for (const it of this.items.values()) {
      if (!it.ranked) continue;
      total++;
      if (it.decision) reviewed++;
      if (it.decision === 'delete') deleted++;
      if (it.decision === 'relabel') relabeled++;
    }
    return { total, reviewed, changed: deleted + relabeled, deleted, relabeled };
  }

  /** fastai's cleaned.csv: every file still in the dataset with its label now. */
  cleanedRows(): { file: string; label: string }[] {
    const rows: { file: string; label: string }[] = [];
    const seen = new Set<string>();
    for (const it of this.items.values()) {
      // A file can be known twice after a re-ranking (its old key from the journal, its new one from
      // the ranking): it is listed once.
      if (it.decision === 'delete' || it.location === null || it.blocked || seen.has(it.location)) continue;
      seen.add(it.location);
      rows.push({ file: it.location, label: it.label });
    }
    return rows.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  async writeCleanedCsv(): Promise<string | undefined> {
    if (!this.csvPath) return undefined;
    const body = this.cleanedRows().map((r) => `${csvField(r.file)},${csvField(r.label)}`).join('\n');
    await writeFileAtomic(this.csvPath, `file,label\n${body}${body ? '\n' : ''}`);
    return this.csvPath;
  }

  /** Files in the trash folder (keys), with their sizes. */
  async trashContents(): Promise<{ key: string; bytes: number }[]> {
    const base = path.join(this.rootReal, ...TRASH_DIR.split('/'));
    const entries = await fs.readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    const out: { key: string; bytes: number }[] = [];
    for (const e of entries) {
      if (!e.isFile() && !e.isSymbolicLink()) continue;
      // parentPath arrived in Node 20.12; `path` is the older name of the same thing.
      const abs = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      const key = path.relative(this.rootReal, abs).split(path.sep).join('/');
      out.push({ key, bytes: (await fs.lstat(abs)).size });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** The only real removal: unlinks everything in the trash (journaled first, like every change). */
  emptyTrash(): Promise<{ removed: number; bytes: number }> {
    return this.serialized(async () => {
      const files = await this.trashContents();
      if (!files.length) return { removed: 0, bytes: 0 };
      const owner = new Map<string, string>();
      for (const it of this.items.values()) if (it.location) owner.set(it.location, it.file);
      const record: PurgeRecord = {
        type: 'purge', seq: this.journal.nextSeq(), at: new Date().toISOString(),
        files: files.map((f) => ({ key: f.key, ...(owner.has(f.key) ? { file: owner.get(f.key) } : {}) })),
      };
      await this.journal.append(record);
      let bytes = 0;
      for (const f of record.files) bytes += await removeFile(this.rootReal, f.key).catch(() => 0);
      await this.journal.append({ type: 'done', seq: record.seq });
      this.apply(record);
      await fs.rm(path.join(this.rootReal, ...TRASH_DIR.split('/')), { recursive: true, force: true });
      await this.afterChange();
      return { removed: files.length, bytes };
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    await this.journal.close();
    await releaseLock(this.rootReal);
  }

  // --- internals -------------------------------------------------------------------------------

  private addItem(file: string, label: string, ranked?: RankedItem): ItemState {
    const existing = this.items.get(file);
    if (existing) {
      if (ranked) existing.ranked = ranked;
      return existing;
    }
    const item: ItemState = { id: itemId(file), file, location: file, originalLabel: label, label, ranked, stack: [] };
    this.items.set(file, item);
    this.byId.set(item.id, item);
    this.place(item, file);
    return item;
  }

  private place(item: ItemState, location: string | null): void {
    if (item.location) this.atLocation.get(item.location)?.delete(item);
    item.location = location;
    if (location === null) return;
    let set = this.atLocation.get(location);
    if (!set) this.atLocation.set(location, (set = new Set()));
    set.add(item);
  }

  private async itemFor(file: string, allowUnranked: boolean): Promise<ItemState> {
    if (typeof file !== 'string') throw new CleanError('file must be a string');
    const known = this.items.get(file);
    if (known) return known;
    try {
      checkKey(file);
    } catch (err) {
      throw new CleanError((err as Error).message, 403);
    }
    if (!allowUnranked) throw new CleanError(`not an item of this dataset: ${file}`, 404);
    try {
      await resolveInside(this.rootReal, file, { mustExist: true });
    } catch (err) {
      throw new CleanError((err as Error).message, err instanceof OutsideDatasetError ? 403 : 404);
    }
    return this.addItem(file, folderLabel(file));
  }

  /** Refuses blocked or emptied items, and re-checks the file itself: a link swapped in meanwhile is refused. */
  private async checkUsable(item: ItemState): Promise<void> {
    if (item.blocked) throw new CleanError(`${item.file}: ${item.blocked}`, 403);
    if (item.location === null) throw new CleanError(`${item.file} was emptied from the trash`, 409);
    try {
      await resolveInside(this.rootReal, item.location, { allowCleanDir: true, mustExist: true });
    } catch (err) {
      const outside = err instanceof OutsideDatasetError && !/not found/.test(err.message);
      throw new CleanError(`${item.file}: ${outside ? 'refused: it leads outside the dataset' : 'missing from disk'}`, outside ? 403 : 409);
    }
  }

  private checkedLabel(label: string): string {
    if (typeof label !== 'string') throw new CleanError('label must be a string');
    try {
      if (this.classes.length) return checkLabel(label, this.classes);
      checkKey(label);
      if (label.includes('/')) throw new OutsideDatasetError(`class '${label}' cannot be a folder name`);
      return label;
    } catch (err) {
      throw new CleanError((err as Error).message);
    }
  }

  /** Marks items the cleaner must not touch: files gone from disk, or links that lead outside. */
  private async checkFiles(): Promise<void> {
    for (const it of this.items.values()) {
      if (!it.location) continue;
      try {
        await resolveInside(this.rootReal, it.location, { allowCleanDir: true, mustExist: true });
        it.blocked = undefined;
      } catch (err) {
        it.blocked = err instanceof OutsideDatasetError && !/not found/.test(err.message) ? 'refused: it leads outside the dataset' : 'missing from disk';
      }
    }
  }

  /** Journal first (fsync'd), then the moves, then `done`; a failed move rolls back the others. */
  private async commit(record: ActionRecord): Promise<void> {
    await this.journal.append(record);
    const moved: Move[] = [];
    try {
      for (const c of record.changes) {
        if (!c.move) continue;
        await moveFile(this.rootReal, c.move);
        moved.push(c.move);
      }
    } catch (err) {
      for (const m of moved.reverse()) await moveFile(this.rootReal, { from: m.to, to: m.from }).catch(() => {});
      await this.journal.append({ type: 'aborted', seq: record.seq, reason: (err as Error).message });
      throw new CleanError(`nothing changed: ${(err as Error).message}`, 409);
    }
    await this.journal.append({ type: 'done', seq: record.seq });
    this.apply(record);
    await this.afterChange();
  }

  private async afterChange(): Promise<void> {
    await this.writeCleanedCsv();
  }

  /** Applies a finished record to the in-memory state (the same code replays the journal at open). */
  private apply(record: ActionRecord | PurgeRecord): void {
    this.committed.push(record);
    if (record.type === 'purge') {
      for (const f of record.files) {
        if (!f.file) continue;
        const item = this.items.get(f.file);
        if (item && item.location === f.key) this.place(item, null);
      }
      return;
    }
    this.actions.set(record.seq, record);
    if (record.kind === 'undo' && record.undoes !== undefined) this.undone.add(record.undoes);
    for (const c of record.changes) {
      const item = this.addItem(c.file, folderLabel(c.file));
      if (record.kind === 'undo') item.stack.pop();
      else item.stack.push({ seq: record.seq, decision: c.decision!, ...(c.label ? { label: c.label } : {}) });
      if (c.move) {
        // Another entry for the same file (after a re-ranking) no longer knows where it is: hands off.
        for (const other of this.atLocation.get(c.move.from) ?? []) {
          if (other !== item) other.blocked = `its file was moved as ${item.file}`;
        }
        this.place(item, c.move.to);
      }
      const top = item.stack.at(-1);
      item.decision = top?.decision;
      item.label = top?.decision === 'relabel' ? top.label! : item.originalLabel;
    }
  }

  /** Replays the journal: finished records rebuild the state; an interrupted one is finished or undone. */
  private async recover(records: JournalRecord[], mode: Recovery): Promise<void> {
    const closed = new Map<number, 'done' | 'aborted'>();
    for (const r of records) if (r.type === 'done' || r.type === 'aborted') closed.set(r.seq, r.type);
    for (const r of records) {
      if (r.type !== 'action' && r.type !== 'purge') continue;
      const status = closed.get(r.seq);
      if (status === 'aborted') continue;
      if (status === 'done') {
        this.apply(r);
        continue;
      }
      if (r.type === 'purge') {
        // The user confirmed it: finish removing what is still there.
        for (const f of r.files) await removeFile(this.rootReal, f.key).catch(() => 0);
        await this.journal.append({ type: 'done', seq: r.seq });
        this.apply(r);
        this.recovered.push({ seq: r.seq, outcome: 'replayed', note: 'emptying the trash' });
        continue;
      }
      this.recovered.push(await this.recoverAction(r, mode));
    }
  }

  private async recoverAction(r: ActionRecord, mode: Recovery): Promise<RecoveryNote> {
    const moves = r.changes.flatMap((c) => (c.move ? [c.move] : []));
    const rollBack = async (done: Move[]) => {
      for (const m of [...done].reverse()) {
        const state = await moveState(this.rootReal, m);
        if (state === 'moved') await moveFile(this.rootReal, { from: m.to, to: m.from });
        else if (state === 'linked') await finishLinkedMove(this.rootReal, { from: m.to, to: m.from });
      }
    };
    if (mode === 'rollback') {
      await rollBack(moves);
      await this.journal.append({ type: 'aborted', seq: r.seq, reason: 'rolled back after an interrupted session' });
      return { seq: r.seq, outcome: 'rolled back' };
    }
    const done: Move[] = [];
    for (const m of moves) {
      const state = await moveState(this.rootReal, m);
      try {
        if (state === 'pending') await moveFile(this.rootReal, m);
        else if (state === 'linked') await finishLinkedMove(this.rootReal, m);
        else if (state !== 'moved') throw new Error(state === 'conflict' ? `${m.to} is taken by another file` : `${m.from} is missing`);
        done.push(m);
      } catch (err) {
        await rollBack(done);
        const note = `could not finish: ${(err as Error).message}`;
        await this.journal.append({ type: 'aborted', seq: r.seq, reason: note });
        return { seq: r.seq, outcome: 'aborted', note };
      }
    }
    await this.journal.append({ type: 'done', seq: r.seq });
    this.apply(r);
    return { seq: r.seq, outcome: 'replayed' };
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

const LOCK = `${CLEAN_DIR}/lock`;

/** One cleaner process per dataset: a second one (another server, or --undo meanwhile) is refused. */
async function acquireLock(rootReal: string): Promise<void> {
  const file = path.join(rootReal, ...LOCK.split('/'));
  await fs.mkdir(path.dirname(file), { recursive: true });
  const holder = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
  if (holder && holder !== process.pid && alive(holder)) {
    throw new CleanError(`another bears clean (pid ${holder}) is working on this dataset; stop it first`, 409);
  }
  await writeFileAtomic(file, `${process.pid}\n`);
}

async function releaseLock(rootReal: string): Promise<void> {
  const file = path.join(rootReal, ...LOCK.split('/'));
  const holder = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
  if (holder === process.pid) await fs.rm(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

