import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadExport, ModelLoadError, type ExportedModel, type LoadExportOptions } from '../core-adapter.js';

async function read(dir: string, file: string): Promise<Uint8Array> {
  try {
    return await readFile(path.join(dir, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ModelLoadError(`${path.join(dir, file)} is missing or unreadable (${code}): is ${dir} a folder written by \`bears train\`?`);
  }
}

/** Reads an exported model folder (metadata.json, model.json, its weight shards) and loads it. */
export async function loadModelFolder(dir: string, options: LoadExportOptions = {}): Promise<ExportedModel> {
  const files: Record<string, Uint8Array> = { 'metadata.json': await read(dir, 'metadata.json') };
  let listed: string[] = [];
  try {
    listed = Object.keys((JSON.parse(new TextDecoder().decode(files['metadata.json'])) as { files?: Record<string, string> }).files ?? {});
  } catch {
    // loadExport reports the corrupt metadata.json with its reason.
  }
  for (const f of new Set(['model.json', ...listed])) files[f] = await read(dir, f);
  try {
    const mj = JSON.parse(new TextDecoder().decode(files['model.json'])) as { weightsManifest?: { paths: string[] }[] };
    for (const p of (mj.weightsManifest ?? []).flatMap((g) => g.paths)) files[p] ??= await read(dir, p);
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
  }
  return loadExport({ files }, options);
}
