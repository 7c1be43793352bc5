import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from './file-moves.js';

/*
 * The cleaner's state is this append-only log. An action is written (and fsync'd) as an intent
 * BEFORE any file moves; a `done` line follows once the moves are made. After a crash, an intent
 * without `done` is replayed or rolled back (see CleanStore.open).
 */

export type Decision = 'keep' | 'delete' | 'relabel';

export interface Move {
  from: string;
  to: string;
}

export interface Change {
  /** The item's original key (its path in the ranking). */
  file: string;
  /** The new decision; absent on undo lines, which pop the item's previous decision. */
  decision?: Decision;
  label?: string;
  move?: Move;
}

export type ActionKind = 'keep' | 'delete' | 'relabel' | 'duplicates' | 'apply' | 'undo';

export interface ActionRecord {
  type: 'action';
  seq: number;
  at: string;
  kind: ActionKind;
  /** For kind 'undo': the seq of the action it reverses. */
  undoes?: number;
  changes: Change[];
}

/** Files removed for good by `--empty-trash`. */
export interface PurgeRecord {
  type: 'purge';
  seq: number;
  at: string;
  files: { file?: string; key: string }[];
}

export interface DoneRecord {
  type: 'done';
  seq: number;
}

export interface AbortedRecord {
  type: 'aborted';
  seq: number;
  reason: string;
}

export type JournalRecord = ActionRecord | PurgeRecord | DoneRecord | AbortedRecord;

export interface JournalRead {
  records: JournalRecord[];
  /** Lines that could not be parsed (a torn last line after a crash), dropped from the file. */
  dropped: number;
}

export class Journal {
  private constructor(
    readonly file: string,
    private fh: fs.FileHandle,
    private lastSeq: number,
  ) {}

  /** Opens (creating) the journal, dropping a torn tail so later appends start on a fresh line. */
  static async open(file: string): Promise<{ journal: Journal } & JournalRead> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const { records, dropped, goodBytes } = parseJournal(text);
    if (goodBytes < Buffer.byteLength(text)) await fs.truncate(file, goodBytes);
    const fh = await fs.open(file, 'a');
    await fsyncDir(path.dirname(file));
    const lastSeq = records.reduce((m, r) => Math.max(m, r.seq), 0);
    return { journal: new Journal(file, fh, lastSeq), records, dropped };
  }

  nextSeq(): number {
    return ++this.lastSeq;
  }

  /** Appends one record and fsyncs before returning: after this, the record survives a crash. */
  async append(record: JournalRecord): Promise<void> {
    await this.fh.write(`${JSON.stringify(record)}\n`);
    await this.fh.sync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Parses JSONL; a last line that is not a complete record (torn by a crash) is dropped. */
export function parseJournal(text: string): JournalRead & { goodBytes: number } {
  const records: JournalRecord[] = [];
  let offset = 0;
  let dropped = 0;
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) {
      dropped++;
      break;
    }
    const line = text.slice(offset, nl);
    let rec: JournalRecord | undefined;
    try {
      rec = JSON.parse(line) as JournalRecord;
    } catch {
      rec = undefined;
    }
    if (!rec || typeof rec.seq !== 'number' || !['action', 'purge', 'done', 'aborted'].includes(rec.type)) {
      // Only the last line can be torn by a crash; damage further up is not ours to cut away.
      if (text.slice(nl + 1).trim()) throw new Error(`the cleaner's journal is damaged at line ${records.length + 1} (not a record); move it aside to start afresh`);
      dropped++;
      break;
    }
    records.push(rec);
    offset = nl + 1;
  }
  return { records, dropped, goodBytes: Buffer.byteLength(text.slice(0, offset)) };
}
