import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { num, requirePositional } from '../args.js';
import { startBackend } from '../backend.js';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { datasetDetails, datasetOptions, openDataset } from '../dataset.js';
import { createLearner, learnerOptionsFrom, phaseProgress, trainingDetails, trainingFlags } from '../training.js';

export const lrFind: Command = {
  name: 'lr-find',
  summary: 'learning-rate range test: plot loss vs learning rate and suggest one',
  usage: 'bears lr-find <data-dir> [--out lr-find.png] [--arch ...] [--unfrozen] [--start-lr 1e-7] [--end-lr 10] [--iterations 100]',
  details: [
    '<data-dir>           one subfolder per class (or train/ and valid/ folders, or --csv)',
    '--out FILE           the plot, with the suggestions marked (default lr-find.png)',
    '--unfrozen           run the test with the whole network unfrozen (default: head only, as before fitting)',
    '--start-lr X         first learning rate (default 1e-7)',
    '--end-lr X           last learning rate (default 10)',
    '--iterations N       steps of the sweep (default 100)',
    ...trainingDetails,
    ...datasetDetails,
  ],
  examples: ['bears lr-find data/bears', 'bears lr-find data/bears --out lr.png --json'],
  options: {
    out: { type: 'string' },
    unfrozen: { type: 'boolean', default: false },
    'start-lr': { type: 'string' },
    'end-lr': { type: 'string' },
    iterations: { type: 'string' },
    ...trainingFlags,
    ...datasetOptions,
  },
  async run({ positionals, values }, out) {
    const dataDir = requirePositional(positionals, 0, 'data-dir');
    const file = resolve(typeof values.out === 'string' ? values.out : 'lr-find.png');
    if (!file.toLowerCase().endsWith('.png')) throw usageError(`--out must be a .png file, got '${file}'`);
    const startLr = num(values['start-lr'], 'start-lr', { min: 0 }) ?? 1e-7;
    const endLr = num(values['end-lr'], 'end-lr', { min: 0 }) ?? 10;
    if (!(startLr > 0 && endLr > startLr)) throw usageError('--start-lr must be positive and below --end-lr');
    const numIt = num(values.iterations, 'iterations', { int: true, min: 5, max: 10_000 }) ?? 100;
    const learnerOptions = learnerOptionsFrom(values, out);

    const data = await openDataset(dataDir, values, out);
    const backend = await startBackend(out, values);
    // The learner's own notes repeat what is printed below: --verbose only.
    const learn = await createLearner(data, { ...learnerOptions, backend, callbacks: [], log: (l) => out.detail(l) });
    try {
      const progress = phaseProgress(out, { features: { label: 'body activations', unit: 'img' }, 'lr-find': { label: 'lr sweep', unit: 'batch' } });
      if (values.unfrozen) learn.unfreeze();
      else await learn.prepareFeatures({ onProgress: progress });
      const res = await learn.lrFind({ startLr, endLr, numIt, onProgress: progress });
      progress.finish();
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, await res.plot());
      const point = (s: { lr: number; loss: number } | null | undefined) => (s ? { lr: s.lr, loss: s.loss } : null);
      const { steep, minimum, valley } = res.suggestions ?? {};
      out.print(`suggested learning rate: ${res.suggestion === null ? 'none (too few points: use more data or iterations)' : res.suggestion.toExponential(2)}`);
      if (valley) out.print(`  valley   ${valley.lr.toExponential(2)}`);
      if (steep) out.print(`  steep    ${steep.lr.toExponential(2)}`);
      if (minimum) out.print(`  min/10   ${minimum.lr.toExponential(2)}`);
      out.print(`plot: ${file}`);
      out.result({
        suggestion: res.suggestion,
        valley: point(valley),
        steep: point(steep),
        minimum: point(minimum),
        iterations: res.lrs.length,
        plot: file,
      });
    } finally {
      learn.dispose();
    }
  },
};
