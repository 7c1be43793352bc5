import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { diagnoseLinearRun, fitAnimationHtml, fitAnimationSvg, gradientDescent, lossCurveSvg, makeLinearData, minibatchSgd } from '@bears/sgd';
import { num } from '../args.js';
import { startBackend } from '../backend.js';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';

export const sgd: Command = {
  name: 'sgd',
  summary: "SGD from scratch: fit y = a1*x + a2 to 100 noisy points and animate it",
  usage: 'bears sgd [--lr 0.1] [--steps 100] [--batch-size N] [--seed 42] [--out anim.svg]',
  details: [
    '--lr X               learning rate (default 0.1; try 1.1 to see it diverge, 0.001 to see it crawl)',
    '--steps N            parameter updates (default 100)',
    '--batch-size N       minibatch SGD with N points per step (default: full-batch gradient descent)',
    '--seed N             seed of the synthetic data and minibatches (default 42)',
    '--out FILE           animation to write: .svg (animated), .html or .gif (default anim.svg);',
    '                     the loss curve goes beside it as <name>-loss.svg',
  ],
  examples: ['bears sgd', 'bears sgd --lr 1.1 --out diverge.svg', 'bears sgd --batch-size 10 --steps 200 --out sgd.html --json'],
  options: {
    lr: { type: 'string' },
    steps: { type: 'string' },
    'batch-size': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  },
  async run({ values }, out) {
    const lr = num(values.lr, 'lr', { min: 0 }) ?? 0.1;
    const steps = num(values.steps, 'steps', { int: true, min: 1, max: 100_000 }) ?? 100;
    const batchSize = num(values['batch-size'], 'batch-size', { int: true, min: 1 });
    const seed = num(values.seed, 'seed', { int: true }) ?? 42;
    const file = resolve(typeof values.out === 'string' ? values.out : 'anim.svg');
    const ext = extname(file).toLowerCase();
    if (!['.svg', '.html', '.gif'].includes(ext)) throw usageError(`--out must end in .svg, .html or .gif, got '${file}'`);
    await startBackend(out, values);

    const data = makeLinearData({ seed });
    if (batchSize !== undefined && batchSize > data.n) throw usageError(`--batch-size must be at most the ${data.n} points`);
    const run = batchSize === undefined
      ? await gradientDescent(data, { lr, steps })
      : await minibatchSgd(data, { lr, batchSize, seed, epochs: Math.ceil(steps / Math.ceil(data.n / batchSize)) });
    const diagnosis = diagnoseLinearRun(run, data);

    await mkdir(dirname(file), { recursive: true });
    if (ext === '.gif') {
      const { fitAnimationGif } = await import('@bears/sgd/node');
      await writeFile(file, await fitAnimationGif(data, run));
    } else {
      await writeFile(file, ext === '.html' ? fitAnimationHtml(data, run) : fitAnimationSvg(data, run));
    }
    const lossFile = file.slice(0, -ext.length) + '-loss.svg';
    await writeFile(lossFile, lossCurveSvg(run));

    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
    out.print(`${run.method === 'gd' ? 'gradient descent' : `minibatch SGD (batch ${batchSize})`}, lr ${lr}, ${run.history.length - 1} steps`);
    out.print(`true a:      (${data.trueA.map(fmt).join(', ')})`);
    out.print(`recovered a: (${run.a.map(fmt).join(', ')})   loss ${fmt(run.loss)}`);
    out.print(`diagnosis:   ${diagnosis.message}`);
    if (diagnosis.kind !== 'converged') out.print(`advice:      ${diagnosis.advice}`);
    out.print(`animation:   ${file}\nloss curve:  ${lossFile}`);
    out.result({
      a: run.a,
      loss: run.loss,
      steps: run.history.length - 1,
      diagnosis: { kind: diagnosis.kind, message: diagnosis.message, advice: diagnosis.advice },
      true_a: data.trueA,
      lr,
      batch_size: batchSize ?? data.n,
      diverged: run.diverged,
      out: file,
      loss_plot: lossFile,
    });
  },
};
