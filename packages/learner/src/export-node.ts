// Node-only: exports as folders on disk.
import { activeBackend, type ActiveBackend } from '@bears/backend';
import { writeFileAtomic } from '@bears/data/node';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelFileError } from './errors.js';
import { checkMetadata, exportToFiles, loadExport, type Exportable, type ExportedModel, type ExportMetadata } from './export.js';

/** Writes model.json + weights.bin (a standard tfjs layers model) and metadata.json; metadata goes last. */
export async function exportLearner(learner: Exportable, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const files = await exportToFiles(learner);
  // metadata.json last: a folder with it is complete (its checksums name every other file).
  for (const name of Object.keys(files).filter((f) => f !== 'metadata.json')) await writeFileAtomic(path.join(dir, name), files[name]!);
  await writeFileAtomic(path.join(dir, 'metadata.json'), files['metadata.json']!);
  return dir;
}

async function readRequired(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ModelFileError(file, `is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is this a folder written by learner.export()?`, { cause: err });
  }
}

/**
 * Reads an export folder into the files map that loadExport takes: metadata.json, then model.json and
 * every file metadata.json lists. Format and version are checked first, so a folder from another
 * version fails on that, not on a missing file; a corrupt metadata.json is left for loadExport to
 * report by name.
 */
export async function readExportFolder(dir: string): Promise<{ files: Record<string, Uint8Array> }> {
  const metaBytes = await readRequired(path.join(dir, 'metadata.json'));
  let meta: ExportMetadata;
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes)) as ExportMetadata;
  } catch {
    return { files: { 'metadata.json': metaBytes } };
  }
  checkMetadata(meta, path.join(dir, 'metadata.json'));
  const files: Record<string, Uint8Array> = { 'metadata.json': metaBytes };
  for (const f of new Set([...Object.keys(meta.files), 'model.json'])) {
    if (f.includes('..') || path.isAbsolute(f)) throw new ModelFileError(path.join(dir, 'metadata.json'), `lists '${f}', which is outside the folder`);
    files[f] = await readRequired(path.join(dir, f));
  }
  return { files };
}

/**
 * Loads a folder written by export(): reads its files and hands them to loadExport, which checks the
 * format version and every checksum. `backend` (default: the one useBackend() started) decodes images.
 */
export async function loadLearner(dir: string, options: { backend?: ActiveBackend; inferenceWorkers?: number } = {}): Promise<ExportedModel> {
  return loadExport(await readExportFolder(dir), { backend: options.backend ?? activeBackend(), where: dir, inferenceWorkers: options.inferenceWorkers });
}
