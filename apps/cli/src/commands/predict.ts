import { DEFAULT_RECIPE as R } from '@bears/learner';
import { loadLearner } from '@bears/learner/node';
import { existingDir, existingFile, requirePositional } from '../args.js';
import { startBackend } from '../backend.js';
import { CliError, usageError } from '../cli-error.js';
import type { Command } from '../command.js';

export const predict: Command = {
  name: 'predict',
  summary: 'label images with an exported model',
  usage: 'bears predict <model-dir> <image...> [--no-tta]',
  details: [
    '<model-dir>          a folder written by `bears train --out` (or learner.export())',
    '<image...>           image files (JPEG, PNG, WEBP, ...)',
    `--no-tta             the plain view only (default: test-time augmentation, the plain view mixed with ${R.ttaViews}`,
    `                     augmented views as fastai's tta; ${R.ttaViews + 1} forward passes per photo, fewer errors)`,
  ],
  examples: ['bears predict model teddy.jpg', 'bears predict model photos/*.jpg --json'],
  options: { 'no-tta': { type: 'boolean', default: false } },
  async run({ positionals, values }, out) {
    const modelDir = existingDir(requirePositional(positionals, 0, 'model-dir'), 'model folder');
    const files = positionals.slice(1);
    if (files.length === 0) throw usageError('missing <image...> (see --help)');
    const paths = files.map((f) => existingFile(f, 'image'));
    const backend = await startBackend(out, values);
    let model;
    try {
      model = await loadLearner(modelDir, { backend });
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    const tta = !values['no-tta'];
    // Many photos with tta (9 forward passes each): worth starting the model's worker copies (in
    // Node on wasm with 2+ threads; about 0.6 s of start-up, then each photo's views split between them).
    if (tta && paths.length >= 32) void model.startInferenceWorkers().catch(() => {});
    const predictions = [];
    let failed = 0;
    // One at a time so a corrupt image fails alone, with its name, instead of the whole batch.
    for (const [i, path] of paths.entries()) {
      try {
        const p = await model.predict(path, { tta: tta ? { n: R.ttaViews } : false });
        const probabilities = Object.fromEntries(model.classes.map((c, k) => [c, p.probabilities[k]!]));
        predictions.push({ file: files[i]!, label: p.label, probabilities });
        const ranked = Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
        out.print(`${files[i]}: ${p.label} (${ranked.map(([c, v]) => `${c} ${v.toFixed(4)}`).join(', ')})`);
      } catch (err) {
        failed++;
        predictions.push({ file: files[i]!, error: (err as Error).message.split('\n')[0] });
        out.log(`bears predict: ${files[i]}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    model.dispose?.();
    out.result({ predictions });
    return failed > 0 ? 1 : 0;
  },
};
