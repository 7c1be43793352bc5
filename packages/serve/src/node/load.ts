import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelFileError } from '@bears/learner';
import { loadServedModel, type ServedModel, type ServeLoadOptions } from '../served-model.js';

async function read(dir: string, file: string): Promise<Uint8Array> {
  try {
    return await readFile(path.join(dir, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ModelFileError(path.join(dir, file), `is missing or unreadable (${code}): is ${dir} a folder written by \`bears train\`?`);
  }
}

/** Reads an exported model folder (metadata.json, the files it lists, the weight shards) and loads it for serving. */
export async function loadModelFolder(dir: string, options: ServeLoadOptions = {}): Promise<ServedModel> {
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
    if (err instanceof ModelFileError) throw err;
  }
  return loadServedModel({ files }, { where: dir, ...options });
}
