// Node-only: checkpoints as folders on disk (weights, optimizer state, recorder, where a fit stood).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic } from '@bears/data/node';
import type { OptimizerState } from '@bears/sgd';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelFileError } from './errors.js';
import type { FitState } from './fit-state.js';
import { sha256 } from './hash.js';
import { Recorder } from './recorder.js';
import { CHECKPOINT_FORMAT_VERSION, LIBRARY_VERSION } from './version.js';

export type { FitState };

/** What a checkpoint reads and restores (the Learner; an interface, so this module does not import it). */
export interface CheckpointTarget {
  readonly options: { modelDir: string };
  readonly body: { arch: { name: string } };
  readonly classes: string[];
  readonly inputSize: number;
  readonly isFrozen: boolean;
  /** The first body group that trains while unfrozen (freezeTo). */
  readonly trainsFrom: number;
  readonly epochsTrained: number;
  readonly recorder: Recorder;
  namedWeights(): Map<string, tfl.LayerVariable>;
  variableNames(): Map<string, string>;
  optimizerState(): Promise<OptimizerState | undefined>;
  currentFitState(): FitState | undefined;
  restoreState(state: { optimizer?: OptimizerState; recorder?: Recorder; frozen: boolean; trainFrom?: number; epochsTrained: number }): void;
}

interface TensorSpec {
  name: string;
  shape: number[];
  offset: number;
}

interface CheckpointJson {
  format: 'bears-checkpoint';
  formatVersion: number;
  libraryVersion: string;
  arch: string;
  classes: string[];
  inputSize: number;
  frozen: boolean;
  /** freezeTo's group when unfrozen and not 0 (absent in older checkpoints: the whole body trained). */
  trainFrom?: number;
  epochsTrained: number;
  fitState?: FitState;
  weights: TensorSpec[];
  optimizer?: {
    type: OptimizerState['type'];
    hyper: OptimizerState['hyper'];
    groups: OptimizerState['groups'];
    params: Record<string, { step: number; slots: Record<string, TensorSpec> }>;
  };
  recorder: unknown;
  files: Record<string, string>;
}

/** Packs float32 arrays one after another, remembering where each starts. */
class Packer {
  private parts: Float32Array[] = [];
  private offset = 0;
  add(name: string, shape: number[], values: Float32Array): TensorSpec {
    const spec = { name, shape, offset: this.offset };
    this.parts.push(values);
    this.offset += values.length;
    return spec;
  }
  bytes(): Uint8Array {
    const all = new Float32Array(this.offset);
    let o = 0;
    for (const p of this.parts) {
      all.set(p, o);
      o += p.length;
    }
    return new Uint8Array(all.buffer);
  }
}

function checkpointDir(learner: CheckpointTarget, name: string): string {
  if (!name || /[\\/]|^\.\.?$/.test(name)) throw new ModelFileError(String(name), 'is not a valid checkpoint name (no slashes)');
  return path.join(learner.options.modelDir, name);
}

let tmpCounter = 0;

/** Writes a checkpoint into a temp folder, then swaps it in with renames so a crash never leaves a half-written one. */
export async function saveCheckpoint(learner: CheckpointTarget, name: string): Promise<string> {
  const dir = checkpointDir(learner, name);
  const weights = new Packer();
  const weightSpecs: TensorSpec[] = [];
  for (const [wname, w] of learner.namedWeights()) {
    const t = w.read();
    weightSpecs.push(weights.add(wname, [...t.shape], (await t.data()) as Float32Array));
  }
  const optState = await learner.optimizerState();
  let optimizer: CheckpointJson['optimizer'];
  const opt = new Packer();
  if (optState) {
    const stable = learner.variableNames();
    const rename = (n: string) => stable.get(n) ?? n;
    optimizer = {
      type: optState.type,
      hyper: optState.hyper,
      groups: optState.groups.map((g) => ({ ...g, params: g.params.map(rename) })),
      params: {},
    };
    for (const [vname, p] of Object.entries(optState.params)) {
      const slots: Record<string, TensorSpec> = {};
      for (const [sname, s] of Object.entries(p.slots)) slots[sname] = opt.add(sname, s.shape, s.values);
      optimizer.params[rename(vname)] = { step: p.step, slots };
    }
  }
  const weightBytes = weights.bytes();
  const optBytes = opt.bytes();
  const json: CheckpointJson = {
    format: 'bears-checkpoint',
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    libraryVersion: LIBRARY_VERSION,
    arch: learner.body.arch.name,
    classes: learner.classes,
    inputSize: learner.inputSize,
    frozen: learner.isFrozen,
    ...(!learner.isFrozen && learner.trainsFrom ? { trainFrom: learner.trainsFrom } : {}),
    epochsTrained: learner.epochsTrained,
    ...(learner.currentFitState() ? { fitState: learner.currentFitState() } : {}),
    weights: weightSpecs,
    optimizer,
    recorder: learner.recorder.toJSON(),
    files: { 'weights.bin': await sha256(weightBytes), 'optimizer.bin': await sha256(optBytes) },
  };
  const tmp = `${dir}.tmp-${process.pid}-${tmpCounter++}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFileAtomic(path.join(tmp, 'weights.bin'), weightBytes);
  await writeFileAtomic(path.join(tmp, 'optimizer.bin'), optBytes);
  await writeFileAtomic(path.join(tmp, 'checkpoint.json'), JSON.stringify(json));
  const old = `${dir}.old-${process.pid}-${tmpCounter++}`;
  const had = await stat(dir).then(() => true, () => false);
  if (had) await rename(dir, old);
  await rename(tmp, dir);
  if (had) await rm(old, { recursive: true, force: true });
  return dir;
}

/** The checkpoint folder, or the previous copy left by a crash between the two renames of a save. */
async function findCheckpoint(dir: string): Promise<string> {
  if (await stat(path.join(dir, 'checkpoint.json')).then(() => true, () => false)) return dir;
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  const olds = (await readdir(parent).catch(() => [] as string[])).filter((f) => f.startsWith(`${base}.old-`)).sort();
  if (olds.length) return path.join(parent, olds[olds.length - 1]!);
  const err = new ModelFileError(path.join(dir, 'checkpoint.json'), 'no such checkpoint (save(name) writes one)') as ModelFileError & { code: string };
  err.code = 'ENOENT';
  throw err;
}

async function readChecked(dir: string, file: string, expected?: string): Promise<Uint8Array> {
  const p = path.join(dir, file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(p);
  } catch (err) {
    throw new ModelFileError(p, `is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  if (expected && (await sha256(bytes)) !== expected) throw new ModelFileError(p, 'sha256 does not match checkpoint.json: the file is corrupt');
  return bytes;
}

function view(bytes: Uint8Array, spec: TensorSpec, file: string): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if ((spec.offset + size) * 4 > bytes.byteLength) throw new ModelFileError(file, `is too short for tensor '${spec.name}': the file is truncated`);
  // Copy out: file buffers may be views into a larger pool at an unaligned offset.
  const out = new Float32Array(size);
  new Uint8Array(out.buffer).set(bytes.subarray(spec.offset * 4, (spec.offset + size) * 4));
  return out;
}

/** Restores a checkpoint onto the learner (or, with peekFitState, only reads where its fit stood). */
export async function loadCheckpoint(learner: CheckpointTarget, name: string, options: { peekFitState?: boolean } = {}): Promise<FitState | undefined> {
  const dir = await findCheckpoint(checkpointDir(learner, name));
  const jsonPath = path.join(dir, 'checkpoint.json');
  let json: CheckpointJson;
  try {
    json = JSON.parse(new TextDecoder().decode(await readFile(jsonPath))) as CheckpointJson;
  } catch (err) {
    throw new ModelFileError(jsonPath, `is not valid JSON (${(err as Error).message}): the checkpoint is corrupt`, { cause: err });
  }
  if (json.format !== 'bears-checkpoint') throw new ModelFileError(jsonPath, 'is not a Bears checkpoint');
  if (!(json.formatVersion <= CHECKPOINT_FORMAT_VERSION)) {
    throw new ModelFileError(jsonPath, `has checkpoint format ${json.formatVersion} (written by @bears/learner ${json.libraryVersion}); this version (${LIBRARY_VERSION}) reads up to ${CHECKPOINT_FORMAT_VERSION}: upgrade @bears/learner`);
  }
  if (options.peekFitState) return json.fitState;
  if (json.arch !== learner.body.arch.name) throw new ModelFileError(jsonPath, `was saved from arch '${json.arch}', this learner uses '${learner.body.arch.name}'`);
  if (JSON.stringify(json.classes) !== JSON.stringify(learner.classes)) {
    throw new ModelFileError(jsonPath, `has classes [${json.classes.join(', ')}], this learner [${learner.classes.join(', ')}]`);
  }
  const weightsFile = path.join(dir, 'weights.bin');
  const weightBytes = await readChecked(dir, 'weights.bin', json.files['weights.bin']);
  const optBytes = await readChecked(dir, 'optimizer.bin', json.files['optimizer.bin']);
  const named = learner.namedWeights();
  // Validate every tensor before writing any, so a bad file leaves the learner as it was.
  const updates: Array<[ReturnType<typeof named.get>, Float32Array, number[]]> = [];
  for (const spec of json.weights) {
    const w = named.get(spec.name);
    if (!w) throw new ModelFileError(weightsFile, `holds weight '${spec.name}', which this learner does not have`);
    if (w.shape.join() !== spec.shape.join()) throw new ModelFileError(weightsFile, `weight '${spec.name}' has shape [${spec.shape}], the learner needs [${w.shape}]`);
    updates.push([w, view(weightBytes, spec, weightsFile), spec.shape]);
  }
  if (updates.length !== named.size) throw new ModelFileError(weightsFile, `holds ${updates.length} weights, the learner has ${named.size}`);
  let optimizer: OptimizerState | undefined;
  if (json.optimizer) {
    const current = new Map<string, string>();
    for (const [varName, stable] of learner.variableNames()) current.set(stable, varName);
    const back = (n: string) => current.get(n) ?? n;
    optimizer = { type: json.optimizer.type, hyper: json.optimizer.hyper, groups: json.optimizer.groups.map((g) => ({ ...g, params: g.params.map(back) })), params: {} };
    for (const [stable, p] of Object.entries(json.optimizer.params)) {
      const slots: OptimizerState['params'][string]['slots'] = {};
      for (const [sname, spec] of Object.entries(p.slots)) slots[sname] = { shape: spec.shape, values: view(optBytes, spec, path.join(dir, 'optimizer.bin')) };
      optimizer.params[back(stable)] = { step: p.step, slots };
    }
  }
  for (const [w, values, shape] of updates) {
    const t = tf.tensor(values, shape, 'float32');
    w!.write(t);
    t.dispose();
  }
  learner.restoreState({ optimizer, recorder: Recorder.fromJSON(json.recorder), frozen: json.frozen, trainFrom: json.trainFrom, epochsTrained: json.epochsTrained });
  return json.fitState;
}
