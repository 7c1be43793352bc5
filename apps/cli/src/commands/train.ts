import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_RECIPE as R, tta, type EpochRecord } from '@bears/learner';
import { num, requirePositional } from '../args.js';
import { startBackend } from '../backend.js';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { datasetDetails, datasetOptions, openDataset } from '../dataset.js';
import { createLearner, learnerOptionsFrom, parseLrRange, phaseProgress, tableLine, trainingDetails, trainingFlags } from '../training.js';

/** 3e-3, not 0.003, as the lesson writes learning rates. */
const e = (x: number) => x.toExponential();

export const train: Command = {
  name: 'train',
  summary: "train a classifier by transfer learning (the lesson's recipe) and export it",
  usage: `bears train <data-dir> --out <model-dir> [--arch mobilenet_v1_0.75] [--epochs ${R.epochs}] [--lr ${e(R.lr)}] [--heads ${R.heads}] [--unfreeze-epochs ${R.unfreezeEpochs} --lr-range ${R.lrRange.map(e).join(',')}] [--no-tta] [--valid-pct 0.2] [--seed 42] [--size 224] [--batch-size N] [--backend auto]`,
  details: [
    '<data-dir>           one subfolder per class (or train/ and valid/ folders, or --csv)',
    '--out DIR            where the exported model goes (required); plots and metrics are written beside it',
    `--epochs N           frozen epochs: only the new head trains (default ${R.epochs})`,
    `--lr X               max learning rate of the frozen phase (default ${e(R.lr)})`,
    `--heads N            heads trained side by side in the frozen phase (different initializations and shuffles) and`,
    `                     folded into one head that averages them (default ${R.heads}; 1: a single head)`,
    `--unfreeze-epochs N  then unfreeze the body and train N more epochs (default ${R.unfreezeEpochs}: it did not improve`,
    '                     on the frozen heads in cross-validation, see @bears/learner\'s README; 0 skips)',
    `--lr-range LO,HI     discriminative learning rates after unfreezing (default ${R.lrRange.map(e).join(',')})`,
    `--views N            augmented views of each training image cached for the frozen phase (default ${R.cacheViews})`,
    `--no-tta             report validation without test-time augmentation (default: the plain view mixed with 4`,
    '                     augmented views, as `bears predict` labels photos)',
    ...trainingDetails,
    ...datasetDetails,
  ],
  examples: [
    'bears train data/bears --out model',
    'bears train data/bears --out model --weights ./mobilenet_v1_0.75_224   # local copy of the ImageNet weights',
    'bears train data/bears --out model --epochs 2 --unfreeze-epochs 0 --size 160 --json',
  ],
  options: {
    out: { type: 'string' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    'unfreeze-epochs': { type: 'string' },
    'lr-range': { type: 'string' },
    views: { type: 'string' },
    heads: { type: 'string' },
    'no-tta': { type: 'boolean', default: false },
    ...trainingFlags,
    ...datasetOptions,
  },
  async run({ positionals, values }, out) {
    const dataDir = requirePositional(positionals, 0, 'data-dir');
    if (typeof values.out !== 'string') throw usageError('--out <model-dir> is required');
    const outDir = resolve(values.out);
    const epochs = num(values.epochs, 'epochs', { int: true, min: 1, max: 1000 }) ?? R.epochs;
    const lr = num(values.lr, 'lr', { min: 0 }) ?? R.lr;
    const unfreezeEpochs = num(values['unfreeze-epochs'], 'unfreeze-epochs', { int: true, min: 0, max: 1000 }) ?? R.unfreezeEpochs;
    const lrRange = parseLrRange(values['lr-range']) ?? ([...R.lrRange] as [number, number]);
    const cacheViews = num(values.views, 'views', { int: true, min: 1, max: 16 }) ?? R.cacheViews;
    const heads = num(values.heads, 'heads', { int: true, min: 1, max: 64 }) ?? R.heads;
    const useTta = values['no-tta'] ? false : R.tta;
    const learnerOptions = { ...learnerOptionsFrom(values, out), cacheViews, heads };

    const data = await openDataset(dataDir, values, out);
    const backend = await startBackend(out, values);
    const started = Date.now();
    const learn = await createLearner(data, { ...learnerOptions, backend });
    try {
      out.log(`arch ${learnerOptions.arch}, ${data.classes.length} classes: ${data.classes.join(', ')}`);
      // The frozen body's activations are computed once before the first epoch: the long silent step, so it gets a bar.
      const features = phaseProgress(out, { features: { label: 'body activations', unit: 'img' } });
      await learn.prepareFeatures({ onProgress: features });
      features.finish();
      const records: Array<EpochRecord & { phase: string }> = [];
      let ensemble: { heads: number; valid_loss: number; error_rate: number | null } | undefined;
      const table = tableLine(out);
      const run = async (phase: string, what: string, n: number, rate: number | [number, number]) => {
        // Said in the table itself, so a reader sees where the unfrozen epochs start (their numbering restarts at 0).
        table(`${phase}: fitOneCycle(${n}, ${Array.isArray(rate) ? `[${rate.join(', ')}]` : rate}): ${what}`);
        const res = await learn.fitOneCycle(n, rate);
        records.push(...res.epochs.map((r) => ({ ...r, phase })));
        if (res.ensemble) ensemble = { heads: res.ensemble.heads, valid_loss: res.ensemble.loss, error_rate: res.ensemble.metrics.error_rate ?? null };
        if (res.stopped) out.log(`stopped early: ${res.stopped}`);
        return res;
      };
      const frozen = await run('frozen', heads > 1 ? `${heads} new heads train, the pretrained body stays fixed` : 'the new head trains, the pretrained body stays fixed', epochs, lr);
      if (unfreezeEpochs > 0 && !frozen.stopped) {
        learn.unfreeze();
        const unfrozen = await run('unfrozen', `unfreeze(), then the whole network trains, the body at smaller learning rates (${unfreezeEpochs === 1 ? `epoch ${epochs}` : `epochs ${epochs}-${epochs + unfreezeEpochs - 1}`} in metrics.json)`, unfreezeEpochs, lrRange);
        const note = unfreezeJumpNote(frozen.epochs, unfrozen.epochs);
        if (note) table(note);
      }
      // The validation report as `bears predict` labels photos: with tta, the plain view mixed with R.ttaViews augmented ones.
      let ttaReport: { views: number; valid_loss: number; error_rate: number | null } | undefined;
      if (useTta && data.valid.length > 0) {
        const t = await tta(learn, { n: R.ttaViews });
        ttaReport = { views: R.ttaViews, valid_loss: t.loss, error_rate: t.metrics.error_rate ?? null };
        table(`tta (plain view + ${R.ttaViews} augmented views, what bears predict does): valid_loss ${t.loss.toFixed(6)}${t.metrics.error_rate === undefined ? '' : ` error_rate ${t.metrics.error_rate.toFixed(6)}`}`);
      }
      await mkdir(outDir, { recursive: true });
      await learn.export(outDir);
      const lossPlot = join(outDir, 'losses.png');
      await writeFile(lossPlot, await learn.recorder.plotLosses());
      const epochsJson = records.map((r, i) => ({
        epoch: i,
        phase: r.phase,
        train_loss: r.trainLoss,
        valid_loss: r.validLoss,
        error_rate: r.metrics.error_rate ?? null,
        seconds: r.time,
      }));
      const metricsFile = join(outDir, 'metrics.json');
      const extra = { ...(ensemble ? { ensemble } : {}), ...(ttaReport ? { tta: ttaReport } : {}) };
      await writeFile(metricsFile, `${JSON.stringify({ classes: data.classes, epochs: epochsJson, ...extra }, null, 2)}\n`);
      out.print(`model: ${outDir}\nloss plot: ${lossPlot}\nmetrics: ${metricsFile}`);
      out.result({
        out: outDir,
        classes: data.classes,
        epochs: epochsJson,
        ...extra,
        arch: learnerOptions.arch,
        train_images: data.train.length,
        valid_images: data.valid.length,
        loss_plot: lossPlot,
        metrics: metricsFile,
        seconds: (Date.now() - started) / 1000,
      });
    } finally {
      learn.dispose();
    }
  },
};

/**
 * When the first unfrozen epoch's valid_loss jumps well above the frozen phase's last, say why, so a
 * reader does not take it for a bug: the body starts to move while the one-cycle schedule is at its peak.
 */
export function unfreezeJumpNote(frozen: EpochRecord[], unfrozen: EpochRecord[]): string | undefined {
  const before = frozen[frozen.length - 1]?.validLoss;
  const first = unfrozen[0]?.validLoss;
  if (before === undefined || first === undefined || !(first > before * 1.5 && first - before > 0.05)) return undefined;
  const last = unfrozen[unfrozen.length - 1]!.validLoss;
  return (
    `note: valid_loss jumped from ${before.toFixed(4)} to ${first.toFixed(4)} in the first unfrozen epoch, as fine-tuning often does: the pretrained ` +
    `body's weights start to move at the one-cycle schedule's highest learning rates, so the features the head was fitted to shift; ` +
    (unfrozen.length > 1 ? `as the rates anneal it ${last <= before * 1.1 ? 'came back' : 'moved'} to ${last.toFixed(4)}.` : 'more epochs (or a lower --lr-range) let it settle.')
  );
}
