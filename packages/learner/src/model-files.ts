import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { LearnerError, ModelFileError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { sha256 } from './hash.js';

/** The parts of a tfjs layers `model.json` this package reads. */
export interface ModelJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  [key: string]: unknown;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, string: 0 };

/** Bytes a weight group must hold, from its manifest (quantized weights count at their stored dtype). */
export function expectedGroupBytes(weights: tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const w of weights) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    const bytes = DTYPE_BYTES[dtype];
    if (bytes === undefined || bytes === 0) throw new LearnerError(`weight '${w.name}' has unsupported dtype '${dtype}'`);
    total += w.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

export function parseModelJson(text: string, file: string): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(file, `is not valid JSON (${(err as Error).message}); the file is corrupt or truncated`, { cause: err });
  }
  const mj = json as ModelJson;
  if (!mj || typeof mj !== 'object' || !mj.modelTopology || !Array.isArray(mj.weightsManifest)) {
    throw new ModelFileError(file, 'is not a TensorFlow.js layers model.json (needs modelTopology and weightsManifest)');
  }
  return mj;
}

/** Checks one weight group's shards: sizes against the manifest and, when known, each file's sha256. */
function checkGroup(
  group: ModelJson['weightsManifest'][number],
  shards: Uint8Array[],
  where: (p: string) => string,
  checksums?: Record<string, string>,
): void {
  const expected = expectedGroupBytes(group.weights);
  const got = shards.reduce((a, s) => a + s.byteLength, 0);
  if (got !== expected) {
    const names = group.paths.map(where).join(', ');
    throw new ModelFileError(names, `holds ${got} bytes but the manifest needs ${expected}: the download is partial or the file is corrupt`);
  }
  group.paths.forEach((p, i) => {
    const want = checksums?.[p];
    if (want && sha256(shards[i]!) !== want) throw new ModelFileError(where(p), `sha256 does not match the expected checksum: the file is corrupt`);
  });
}

/** Turns model.json and its shards into tfjs model artifacts (no network, no tfjs file IO). */
export function toArtifacts(mj: ModelJson, shardBytes: Uint8Array[]): tf.io.ModelArtifacts {
  const total = shardBytes.reduce((a, s) => a + s.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const s of shardBytes) {
    weightData.set(s, offset);
    offset += s.byteLength;
  }
  return {
    modelTopology: mj.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
    format: mj.format,
  };
}

/** Reads a layers model folder (model.json + shards), checking every shard against the manifest. */
export async function readModelFolder(dir: string, checksums?: Record<string, string>): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, 'model.json');
  let text: Uint8Array;
  try {
    text = await readFile(jsonPath);
  } catch (err) {
    throw new ModelFileError(jsonPath, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected a TensorFlow.js layers model folder`, { cause: err });
  }
  if (checksums?.['model.json'] && sha256(text) !== checksums['model.json']) {
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
    checkGroup(group, shards, (p) => path.join(dir, p), checksums);
    all.push(...shards);
  }
  return toArtifacts(mj, all);
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Default download cache: $BEARS_CACHE/models, else ~/.cache/bears/models. */
export function defaultCacheDir(): string {
  const base = process.env.BEARS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'bears');
  return path.join(base, 'models');
}

export interface DownloadOptions {
  cacheDir?: string;
  /** Expected sha256 per file name ('model.json', shard names). */
  checksums?: Record<string, string>;
  /** Called once per downloaded file (not for cache hits). */
  onDownload?: (file: string, bytes: number) => void;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new LearnerError(`download failed for ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new LearnerError(`download failed for ${url}: HTTP ${res.status} ${res.statusText}`);
  let body: Uint8Array;
  try {
    body = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new LearnerError(`download of ${url} was cut off (${(err as Error).message}); nothing was cached`, { cause: err });
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > 0 && !res.headers.get('content-encoding') && declared !== body.byteLength) {
    throw new LearnerError(`download of ${url} is partial (${body.byteLength} of ${declared} bytes); nothing was cached`);
  }
  return body;
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
  const key = sha256(new TextEncoder().encode(url)).slice(0, 16);
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
  if (options.checksums?.['model.json'] && sha256(jsonBytes) !== options.checksums['model.json']) {
    throw new ModelFileError(url, 'sha256 does not match the expected checksum: the download is corrupt; nothing was cached');
  }
  const mj = parseModelJson(new TextDecoder().decode(jsonBytes), url);
  const files: Record<string, string> = { 'model.json': sha256(jsonBytes) };
  const staged: Array<[string, Uint8Array]> = [['model.json', jsonBytes]];
  for (const group of mj.weightsManifest) {
    const shards: Uint8Array[] = [];
    for (const p of group.paths) {
      if (p.includes('..') || path.isAbsolute(p)) throw new ModelFileError(url, `weight path '${p}' escapes the model folder`);
      const bytes = await fetchBytes(new URL(p, base).href);
      options.onDownload?.(p, bytes.byteLength);
      shards.push(bytes);
    }
    checkGroup(group, shards, (p) => new URL(p, base).href, options.checksums);
    group.paths.forEach((p, i) => {
      files[p] = sha256(shards[i]!);
      staged.push([p, shards[i]!]);
    });
  }
  // Only verified bytes reach the cache, each file atomically; the record goes last and marks it complete.
  for (const [name, bytes] of staged) await writeFileAtomic(path.join(dir, name), bytes);
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

