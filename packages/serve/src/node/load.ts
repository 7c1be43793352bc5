import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelFileError, readExportFolder } from '@bears/learner/node';
import { loadServedModel, type ServedModel, type ServeLoadOptions } from '../served-model.js';

/**
 * Reads an exported model folder (the learner's readExportFolder: version first, listed files, no
 * path out of the folder), plus any weight shard model.json names that metadata.json does not list,
 * and loads it for serving.
 */
export async function loadModelFolder(dir: string, options: ServeLoadOptions = {}): Promise<ServedModel> {
  const { files } = await readExportFolder(dir);
  try {
    const mj = JSON.parse(new TextDecoder().decode(files['model.json'])) as { weightsManifest?: { paths: string[] }[] };
    for (const p of (mj.weightsManifest ?? []).flatMap((g) => g.paths)) {
      if (files[p]) continue;
      const file = path.join(dir, p);
      files[p] = await readFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new ModelFileError(file, `is missing or unreadable (${err.code ?? err.message}): is ${dir} a folder written by \`bears train\`?`);
      });
    }
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    // A corrupt metadata.json or model.json: loadExport reports it by name.
  }
  return loadServedModel({ files }, { where: dir, ...options });
}
