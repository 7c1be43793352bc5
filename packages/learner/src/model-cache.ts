// Node-only: layers models in folders, and the disk cache of downloaded pretrained weights.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic } from '@bears/data/node';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { ModelFileError } from './errors.js';
import { sha256 } from './hash.js';
import { checkGroup, fetchBytes, isUrl, parseModelJson, toArtifacts, type ArtifactsOptions } from './model-files.js';

/** Reads a layers model folder (model.json + shards), checking every shard against the manifest. */
export async function readModelFolder(dir: string, checksums?: Record<string, string>): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, 'model.json');
  let text: Uint8Array;
  try {
    text = await readFile(jsonPath);
  } catch (err) {
    throw new ModelFileError(jsonPath, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected a TensorFlow.js layers model folder`, { cause: err });
  }
  if (checksums?.['model.json'] && (await sha256(text)) !== checksums['model.json']) {
    throw new ModelFileError(jsonPath, 'sha256 does not match the expected checksum: the file is corrupt');
  }
  const mj = parseModelJson(new TextDecoder().decode(text), jsonPath);
  const all: Uint8Array[] = [];
  for (const group of mj.weightsManifest) {
    const shards: Uint8Array[] = [];
    for (const p of group.paths) {
      const file = path.join(dir, p);
      try {
        shards.push(await readFile(file));
      } catch (err) {
        throw new ModelFileError(file, `weight shard listed in model.json cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
      }
    }
    await checkGroup(group, shards, (p) => path.join(dir, p), checksums);
    all.push(...shards);
  }
  return toArtifacts(mj, all);
}

/** Default download cache: $BEARS_CACHE/models, else ~/.cache/bears/models. */
export function defaultCacheDir(): string {
  const base = process.env.BEARS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'bears');
  return path.join(base, 'models');
}

export interface DownloadOptions extends ArtifactsOptions {
  cacheDir?: string;
  /** Expected sha256 per file name ('model.json', shard names). */
  checksums?: Record<string, string>;
  /** Called once per downloaded file (not for cache hits). */
  onDownload?: (file: string, bytes: number) => void;
}

interface CacheRecord {
  url: string;
  files: Record<string, string>;
}

async function readIfExists(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

/**
 * Downloads a layers model (model.json and every shard) into the cache, verifying every file's size
 * against the manifest and its sha256 when known. A cached copy is re-verified before each use; a bad
 * one is downloaded again. Returns the cache folder, which readModelFolder() can load.
 */
export async function downloadModel(url: string, options: DownloadOptions = {}): Promise<string> {
  const cacheRoot = options.cacheDir ?? defaultCacheDir();
  const key = (await sha256(new TextEncoder().encode(url))).slice(0, 16);
  const dir = path.join(cacheRoot, key);
  const recordFile = path.join(dir, 'bears-cache.json');
  const base = new URL('.', url);
  const record = await readIfExists(recordFile);
  if (record) {
    try {
      const rec = JSON.parse(new TextDecoder().decode(record)) as CacheRecord;
      const sums = { ...rec.files, ...options.checksums };
      await readModelFolder(dir, sums);
      return dir;
    } catch {
      // Corrupt cache: drop the record and download again below.
      await rm(recordFile, { force: true });
    }
  }
  await mkdir(dir, { recursive: true });
  const jsonBytes = await fetchBytes(url);
  options.onDownload?.('model.json', jsonBytes.byteLength);
  if (options.checksums?.['model.json'] && (await sha256(jsonBytes)) !== options.checksums['model.json']) {
    throw new ModelFileError(url, 'sha256 does not match the expected checksum: the download is corrupt; nothing was cached');
  }
  const mj = parseModelJson(new TextDecoder().decode(jsonBytes), url);
  const files: Record<string, string> = { 'model.json': await sha256(jsonBytes) };
  const staged: Array<[string, Uint8Array]> = [['model.json', jsonBytes]];
  for (const group of mj.weightsManifest) {
    const shards: Uint8Array[] = [];
    for (const p of group.paths) {
      if (p.includes('..') || path.isAbsolute(p)) throw new ModelFileError(url, `weight path '${p}' escapes the model folder`);
      const bytes = await fetchBytes(new URL(p, base).href);
      options.onDownload?.(p, bytes.byteLength);
      shards.push(bytes);
    }
    await checkGroup(group, shards, (p) => new URL(p, base).href, options.checksums);
    for (const [i, p] of group.paths.entries()) {
      files[p] = await sha256(shards[i]!);
      staged.push([p, shards[i]!]);
    }
  }
  // Only verified bytes reach the cache, each file atomically; the record goes last and marks it complete.
  for (const [name, bytes] of staged) await writeFileAtomic(path.join(dir, name), bytes, { mkdir: true });
  await writeFileAtomic(recordFile, JSON.stringify({ url, files } satisfies CacheRecord, null, 2));
  return dir;
}

/** Loads a layers model from a folder or an http(s) URL of its model.json. */
export async function loadLayersModelFrom(source: string, options: DownloadOptions = {}): Promise<tfl.LayersModel> {
  let dir = source;
  if (isUrl(source)) dir = await downloadModel(source, options);
  else if (source.endsWith('model.json')) dir = path.dirname(source);
  else {
    const st = await stat(source).catch(() => undefined);
    if (!st) throw new ModelFileError(source, 'does not exist (expected a folder with model.json, or an http(s) URL of a model.json)');
  }
  const artifacts = await readModelFolder(dir, isUrl(source) ? undefined : options.checksums);
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new ModelFileError(path.join(dir, 'model.json'), `could not be built into a layers model: ${(err as Error).message}`, { cause: err });
  }
}


/**
 * Node's way to read a layers model for a body: an http(s) URL through the disk cache (downloaded
 * once, re-verified on every use), or a local folder (or its model.json).
 */
export async function readModelArtifacts(source: string, options: DownloadOptions = {}): Promise<tf.io.ModelArtifacts> {
  const dir = isUrl(source) ? await downloadModel(source, options) : source.replace(/model\.json$/, '') || '.';
  return readModelFolder(dir, options.checksums);
}
