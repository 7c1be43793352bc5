import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { isValidResize } from '@bears/data';
import { cnnLearner, listArchs, type Callback, type CnnLearnerOptions, type OnProgress } from '@bears/learner';
import { num } from './args.js';
import { CliError, usageError } from './cli-error.js';
import type { ParsedArgs } from './command.js';
import type { Output, Progress } from './output.js';

export const trainingDetails = [
  '--arch NAME          body: mobilenet_v1_0.75 (default), darknet_tiny, resnet18, resnet34, resnet50',
  '--weights DIR|URL    pretrained weights (a layers model.json folder or URL) instead of downloading the',
  '                     arch\'s published ImageNet weights; also BEARS_WEIGHTS',
  '--no-pretrained      start from random weights (ResNets have no published tfjs weights)',
  '--batch-size N       logical batch size (default 64; smaller physical batches are used if memory needs it)',
  '--valid-resize FIT   how validation and predict fit a photo to the square: squish (default, the whole',
  '                     photo), crop (centre crop) or pad; the exported model remembers it',
];

/** Flags shared by train and lr-find. */
export const trainingFlags = {
  arch: { type: 'string' },
  weights: { type: 'string' },
  'no-pretrained': { type: 'boolean', default: false },
  'batch-size': { type: 'string' },
  'valid-resize': { type: 'string' },
} as const;

/** The training flags as cnnLearner options. */
export function learnerOptionsFrom(values: ParsedArgs['values'], out: Output): CnnLearnerOptions & { arch: string } {
  const arch = typeof values.arch === 'string' ? values.arch : 'mobilenet_v1_0.75';
  if (!listArchs().includes(arch)) throw usageError(`unknown --arch '${arch}' (known: ${listArchs().join(', ')})`);
  const weights = typeof values.weights === 'string' ? values.weights : process.env.BEARS_WEIGHTS || undefined;
  if (weights && values['no-pretrained']) throw usageError('use either --weights or --no-pretrained, not both');
  const local = weights && !/^https?:\/\//.test(weights) ? resolve(weights) : weights;
  if (local && !/^https?:\/\//.test(local) && !existsSync(local)) throw usageError(`--weights folder not found: ${weights}`);
  const batchSize = num(values['batch-size'], 'batch-size', { int: true, min: 1, max: 4096 });
  const validResize = values['valid-resize'];
  if (validResize !== undefined && !isValidResize(validResize)) {
    throw usageError(`--valid-resize must be squish, crop or pad, got '${String(validResize)}'`);
  }
  return {
    arch,
    pretrained: values['no-pretrained'] ? false : (local ?? true),
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(validResize === undefined ? {} : { validResize }),
    seed: num(values.seed, 'seed', { int: true }) ?? 42,
    log: tableLine(out),
    callbacks: [epochProgress(out)],
  };
}

/** The per-epoch table is the result for people: stdout, or stderr when stdout carries JSON. */
export function tableLine(out: Output): (line: string) => void {
  return (line) => (out.json ? out.log(line) : out.print(line));
}

/** A bar per epoch on a TTY, gone when the epoch's table row is printed; nothing more without a TTY (the row is the line). */
export function epochProgress(out: Output): Callback {
  let bar: Progress | undefined;
  return {
    name: 'progress',
    onEpochBegin() {
      bar = undefined;
    },
    onBatchEnd(e) {
      bar ??= out.progress(`epoch ${e.epoch + 1}/${e.epochs}`, e.batches ?? 0, 'batch', { transient: true });
      bar.update((e.batch ?? 0) + 1, e.loss === undefined ? '' : `loss ${e.loss.toFixed(4)}`);
    },
    onEpochEnd() {
      bar?.done();
    },
  };
}

/** An onProgress hook drawing one bar per phase ('features', 'lr-find'), closed with finish() at the count each reached. */
export function phaseProgress(out: Output, labels: Record<string, { label: string; unit: string }>): OnProgress & { finish(): void } {
  let current: { phase: string; bar: Progress } | undefined;
  const hook = (p: { phase: string; done: number; total: number }) => {
    if (current?.phase !== p.phase) {
      current?.bar.stop();
      const l = labels[p.phase] ?? { label: p.phase, unit: 'it' };
      current = { phase: p.phase, bar: out.progress(l.label, p.total, l.unit) };
    }
    current.bar.update(p.done);
  };
  return Object.assign(hook, {
    finish() {
      current?.bar.stop();
      current = undefined;
    },
  });
}

/** Parses "1e-5,3e-4" into [lo, hi]. */
export function parseLrRange(value: unknown): [number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = String(value).split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p) || p <= 0) || parts[0]! > parts[1]!) {
    throw usageError(`--lr-range must be LO,HI with 0 < LO <= HI, got '${String(value)}'`);
  }
  return [parts[0]!, parts[1]!];
}

/** cnnLearner, with the way out named when the pretrained weights cannot be downloaded. */
export async function createLearner(data: Parameters<typeof cnnLearner>[0], options: CnnLearnerOptions): Promise<Awaited<ReturnType<typeof cnnLearner>>> {
  try {
    return await cnnLearner(data, options);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (options.pretrained === true && /download failed|fetch failed|ENOTFOUND|EAI_AGAIN/i.test(message)) {
      throw new CliError(`${message}; without internet, pass --weights <folder with model.json> (or set BEARS_WEIGHTS)`);
    }
    throw err;
  }
}
