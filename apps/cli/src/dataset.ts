import { existsSync } from 'node:fs';
import { ImageDataset, formatSummary } from '@bears/data/node';
import { existingDir, num } from './args.js';
import { CliError } from './cli-error.js';
import type { ParsedArgs } from './command.js';
import type { Output } from './output.js';

export const datasetOptions = {
  'valid-pct': { type: 'string' },
  seed: { type: 'string' },
  size: { type: 'string' },
  csv: { type: 'string' },
} as const;

export const datasetDetails = [
  '--valid-pct X        fraction held out for validation (default 0.2; ignored with train/ and valid/ folders)',
  '--seed N             seed of the split, shuffles and augmentation (default 42)',
  '--size N             image size in pixels (default 224)',
  '--csv FILE           labels from a name,label CSV (what the cleaner writes) instead of class folders',
];

/** Opens <data-dir> as an ImageDataset (class folders, train/valid folders, or --csv) and logs its summary. */
export async function openDataset(dataDir: string, values: ParsedArgs['values'], out: Output): Promise<ImageDataset> {
  const root = existingDir(dataDir, 'data folder');
  const opts = {
    validPct: num(values['valid-pct'], 'valid-pct', { min: 0.01, max: 0.9 }) ?? 0.2,
    seed: num(values.seed, 'seed', { int: true }) ?? 42,
    size: num(values.size, 'size', { int: true, min: 32, max: 1024 }) ?? 224,
  };
  let data: ImageDataset;
  try {
    if (typeof values.csv === 'string') {
      if (!existsSync(values.csv)) throw new CliError(`CSV not found: ${values.csv}`);
      data = await ImageDataset.fromCsv(values.csv, { ...opts, root });
    } else {
      data = await ImageDataset.fromFolder(root, opts);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
  out.log(formatSummary(data.summary()));
  return data;
}
