import { formatConfusion } from '@bears/interpret';
import { analyzeFolder, writeInterpretation } from '@bears/interpret/node';
import { resolve } from 'node:path';
import { existingDir, num, requirePositional } from '../args.js';
import { startBackend } from '../backend.js';
import { CliError, usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { table, type Progress } from '../output.js';

export const interpret: Command = {
  name: 'interpret',
  summary: 'confusion matrix, top losses (Grad-CAM) and a ranking of suspicious images',
  usage: 'bears interpret <model-dir> <data-dir> --out <dir> [--top N] [--show N]',
  details: [
    '<model-dir>          a folder written by `bears train --out`',
    '<data-dir>           the labelled folder (one subfolder per class), train and valid',
    '--out <dir>          where to write top_losses.png, confusion_matrix.png, duplicates.png, ranking.csv, ranking.json',
    '--top N              images in the top-losses plot (default 9)',
    '--show N             rows of the ranking printed (default 20)',
  ],
  examples: ['bears interpret model data/bears --out interp', 'bears interpret model data/bears --out interp --json | jq .suspicious[0]'],
  options: { out: { type: 'string' }, top: { type: 'string' }, show: { type: 'string' } },
  async run({ positionals, values }, out) {
    const modelDir = existingDir(requirePositional(positionals, 0, 'model-dir'), 'model folder');
    const dataDir = existingDir(requirePositional(positionals, 1, 'data-dir'), 'data folder');
    if (typeof values.out !== 'string' || !values.out) throw usageError('missing --out <dir> (where the plots and ranking go)');
    const outDir = resolve(values.out);
    const topK = num(values.top, 'top', { int: true, min: 1, max: 64 }) ?? 9;
    const show = num(values.show, 'show', { int: true, min: 0 }) ?? 20;
    const backend = await startBackend(out, values);
    const bars = new Map<string, Progress>();
    const onProgress = (p: { phase: string; done: number; total: number }) => {
      let bar = bars.get(p.phase);
      if (!bar) bars.set(p.phase, (bar = out.progress(p.phase === 'folds' ? 'k-fold' : p.phase, p.total)));
      if (p.done >= p.total) bar.done();
      else bar.update(p.done);
    };
    let analysis;
    try {
      analysis = await analyzeFolder(modelDir, dataDir, { backend, onProgress });
    } catch (err) {
      throw new CliError((err as Error).message.split('\n')[0]!);
    }
    try {
      const written = await writeInterpretation(analysis, outDir, { topK, onProgress });
      const { interp, ranking } = analysis;
      const confusion = interp.confusionMatrix();
      const mostConfused = interp.mostConfused(1);
      const topLosses = interp.topLosses(topK);
      out.print(`Confusion matrix (${interp.preds.items.length} validation images, accuracy ${(interp.accuracy() * 100).toFixed(1)}%):`);
      out.print(formatConfusion(interp.classes, confusion));
      out.print('');
      out.print('Per class:');
      out.print(table(['class', 'precision', 'recall', 'f1', 'n'], interp.classReport().map((r) => [r.class, r.precision.toFixed(3), r.recall.toFixed(3), r.f1.toFixed(3), r.support])));
      out.print('');
      out.print(mostConfused.length ? `Most confused: ${mostConfused.map((m) => `${m.actual} -> ${m.predicted} (${m.count})`).join(', ')}` : 'Most confused: none (no mistakes)');
      out.print('');
      out.print(`Most suspicious of ${ranking.items.length} images (${ranking.labelIssues.length} label issues by confident learning, ${ranking.duplicates.length} duplicate groups):`);
      out.print(table(['#', 'file', 'label', 'suggested', 'score', 'reasons'], ranking.items.slice(0, show).map((r, i) => [i + 1, r.file, r.label, r.suggested, r.score.toFixed(3), r.reasons.join('; ') || '(signals combined)'])));
      out.print('');
      out.print(`wrote ${written.join(', ')}`);
      out.result({
        classes: interp.classes,
        confusion,
        mostConfused,
        topLosses: topLosses.map((t) => ({ file: t.item, actual: t.actual, predicted: t.predicted, loss: t.loss, probability: t.probability })),
        perClass: interp.classReport(),
        suspicious: ranking.items.map((r) => ({ file: r.file, label: r.label, suggested: r.suggested, score: r.score, reasons: r.reasons })),
        labelIssues: ranking.labelIssues,
        duplicates: ranking.duplicates,
        files: written,
      });
    } finally {
      analysis.model.dispose();
    }
  },
};
