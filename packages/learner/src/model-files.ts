import type * as tf from '@tensorflow/tfjs-core';
import { fetchBytes as fetchWithLimits } from '@bears/data';
import { LearnerError, ModelFileError } from './errors.js';
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
export async function checkGroup(
  group: ModelJson['weightsManifest'][number],
  shards: Uint8Array[],
  where: (p: string) => string,
  checksums?: Record<string, string>,
): Promise<void> {
  const expected = expectedGroupBytes(group.weights);
  const got = shards.reduce((a, s) => a + s.byteLength, 0);
  if (got !== expected) {
    const names = group.paths.map(where).join(', ');
    throw new ModelFileError(names, `holds ${got} bytes but the manifest needs ${expected}: the download is partial or the file is corrupt`);
  }
  for (const [i, p] of group.paths.entries()) {
    const want = checksums?.[p];
    if (want && (await sha256(shards[i]!)) !== want) throw new ModelFileError(where(p), `sha256 does not match the expected checksum: the file is corrupt`);
  }
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

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}


/** Fetches a URL's bytes (timeout, size limit, whole body), with errors that name the URL. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  try {
    return (await fetchWithLimits(url, { timeoutMs: 120_000 })).bytes;
  } catch (err) {
    const message = (err as Error).message;
    // A body that stopped short is a partial download, worth saying in those words.
    if (/closed early/.test(message)) throw new LearnerError(`download of ${url} was cut off (${message}); nothing was cached`, { cause: err });
    throw new LearnerError(`download failed for ${url}: ${message}; nothing was cached`, { cause: err });
  }
}

/** Where a layers model's model.json and shards come from: a URL (fetch) or a map of file name to bytes. */
export type ModelSource = string | { files: Record<string, Uint8Array> };

export interface ArtifactsOptions {
  /** Expected sha256 per file name ('model.json', shard names). */
  checksums?: Record<string, string>;
  /** Called once per downloaded file. */
  onDownload?: (file: string, bytes: number) => void;
}

/**
 * Reads a layers model into memory, from an http(s) URL of model.json (or of its folder) or from a
 * files map, checking every shard's size against the manifest and each file's sha256 when known.
 * Works in every runtime; Node's disk cache is in '@bears/learner/node' (downloadModel).
 */
export async function modelArtifactsFrom(source: ModelSource, options: ArtifactsOptions = {}): Promise<tf.io.ModelArtifacts> {
  const files = typeof source === 'string' ? undefined : source.files;
  const base = typeof source === 'string' ? new URL(source.endsWith('.json') ? source : `${source.replace(/\/?$/, '/')}model.json`) : undefined;
  const where = (p: string) => (base ? new URL(p, base).href : p);
  const get = async (p: string): Promise<Uint8Array> => {
    if (files) {
      const b = files[p];
      if (!b) throw new ModelFileError(p, `is missing (the files given hold: ${Object.keys(files).join(', ') || 'nothing'})`);
      return b;
    }
    if (p.includes('..') || p.startsWith('/')) throw new ModelFileError(where('model.json'), `weight path '${p}' escapes the model folder`);
    const bytes = await fetchBytes(where(p));
    options.onDownload?.(p, bytes.byteLength);
    return bytes;
  };
  const jsonName = base ? base.pathname.split('/').pop()! : 'model.json';
  const jsonBytes = await get(jsonName);
  if (options.checksums?.['model.json'] && (await sha256(jsonBytes)) !== options.checksums['model.json']) {
    throw new ModelFileError(where(jsonName), 'sha256 does not match the expected checksum: the file is corrupt');
  }
  const mj = parseModelJson(new TextDecoder().decode(jsonBytes), where(jsonName));
  const all: Uint8Array[] = [];
  for (const group of mj.weightsManifest) {
    const shards: Uint8Array[] = [];
    for (const p of group.paths) shards.push(await get(p));
    await checkGroup(group, shards, where, options.checksums);
    all.push(...shards);
  }
  return toArtifacts(mj, all);
}
