import { promises as fs } from 'node:fs';
import { parseCsv } from '@bears/data';
import type { Decision } from './journal.js';
import { CleanError, type CleanStore, type DecisionInput } from './store.js';

/*
 * `bears clean --apply decisions.csv`: decisions from a script, with the page's safety (same path
 * checks, journal, undo). Columns: file (or name/path) and decision (keep | delete | relabel) with
 * label for relabels; or fastai-style file,label where the label is a class, or empty/`delete`.
 */

export interface DecisionRow extends DecisionInput {
  line: number;
}

export interface ApplyReport {
  /** The journal action holding every change (undo it with --undo), or null when nothing changed. */
  seq: number | null;
  changed: number;
  unchanged: number;
}

export async function readDecisions(csvFile: string): Promise<DecisionRow[]> {
  const text = await fs.readFile(csvFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CleanError(err.code === 'ENOENT' ? `decisions file not found: ${csvFile}` : `cannot read ${csvFile}: ${err.message}`);
  });
  const rows = parseCsv(text);
  if (rows.length < 2) throw new CleanError(`${csvFile} has no rows (expected a header like file,decision,label)`);
  const header = rows[0]!.map((h) => h.trim().toLowerCase());
  const col = (...names: string[]) => names.map((n) => header.indexOf(n)).find((i) => i >= 0);
  const fileCol = col('file', 'name', 'fname', 'path', 'filename');
  const decisionCol = col('decision', 'action');
  const labelCol = col('label', 'class');
  if (fileCol === undefined || (decisionCol === undefined && labelCol === undefined)) {
    throw new CleanError(`${csvFile} needs a file column and a decision or label column (header: ${rows[0]!.join(',')})`);
  }
  return rows.slice(1).map((row, i) => {
    const line = i + 2;
    const file = (row[fileCol] ?? '').trim();
    const label = labelCol === undefined ? '' : (row[labelCol] ?? '').trim();
    let decision = decisionCol === undefined ? '' : (row[decisionCol] ?? '').trim().toLowerCase();
    if (!file) throw new CleanError(`${csvFile} line ${line}: empty file`);
    if (decisionCol === undefined) decision = !label || label.toLowerCase() === 'delete' ? 'delete' : 'relabel';
    if (!['keep', 'delete', 'relabel'].includes(decision)) throw new CleanError(`${csvFile} line ${line}: decision '${decision}' is not keep, delete or relabel`);
    if (decision === 'relabel' && !label) throw new CleanError(`${csvFile} line ${line}: relabel needs a label`);
    return { line, file, decision: decision as Decision, ...(decision === 'relabel' ? { label } : {}) };
  });
}

/** Applies every row as ONE journaled action: all of it happens, or (on any refusal) none of it. */
export async function applyDecisions(store: CleanStore, rows: DecisionRow[]): Promise<ApplyReport> {
  const record = await store.decide(rows.map(({ file, decision, label }) => ({ file, decision, ...(label ? { label } : {}) })), 'apply');
  const changed = record?.changes.length ?? 0;
  return { seq: record?.seq ?? null, changed, unchanged: rows.length - changed };
}
