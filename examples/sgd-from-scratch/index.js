// The lesson's "SGD from scratch", runnable: make the data, fit the line by gradient descent,
// print what it recovered, show what too high / too low learning rates do, and write the animation.
//
//   npm start -w @bears/example-sgd-from-scratch -- [--lr 0.1] [--steps 100] [--out out] [--no-gif]
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import {
  diagnoseLinearRun,
  fitAnimationHtml,
  fitAnimationSvg,
  gradientDescent,
  leastSquares,
  lossCurveSvg,
  makeLinearData,
  minibatchSgd,
} from '@bears/sgd';
import { fitAnimationGif, svgToPng } from '@bears/sgd/node';

const { values } = parseArgs({
  options: {
    lr: { type: 'string', default: '0.1' },
    steps: { type: 'string', default: '100' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: 'out' },
    'no-gif': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node index.js [--lr 0.1] [--steps 100] [--seed 42] [--out out] [--no-gif]');
  process.exit(0);
}
const lr = Number(values.lr);
const steps = Number(values.steps);
const seed = Number(values.seed);
for (const [name, v] of [['--lr', lr], ['--steps', steps], ['--seed', seed]]) {
  if (!Number.isFinite(v)) {
    console.error(`${name} must be a number, got '${values[name.slice(2)]}'`);
    process.exit(2);
  }
}

const backend = await useBackend(); // BEARS_BACKEND, else the best registered (wasm here)
const fmt = (a) => `(${a.map((v) => (Number.isFinite(v) ? v.toFixed(4) : String(v))).join(', ')})`;

const data = makeLinearData({ n: 100, a: [3, 2], seed });
const best = leastSquares(data);
console.log(`SGD from scratch on ${backend.name}: ${data.n} points, x = [uniform(-1, 1), 1], y = x @ (3, 2) + noise`);

const run = await gradientDescent(data, { lr, steps, init: [-1, 1] });
console.log(`\nfull-batch gradient descent, lr=${lr}, ${steps} steps`);
console.log(`  true a         ${fmt(data.trueA)}`);
console.log(`  least squares  ${fmt(best.a)}  mse ${best.loss.toFixed(5)}`);
console.log(`  recovered a    ${fmt(run.a)}  mse ${Number.isFinite(run.loss) ? run.loss.toFixed(5) : run.loss}`);
const diag = diagnoseLinearRun(run, data);
console.log(`  ${diag.message}`);

const sgd = await minibatchSgd(data, { lr, epochs: 10, batchSize: 10, seed });
console.log(`\nminibatch SGD, lr=${lr}, 10 epochs of batch size 10 (${sgd.history.length - 1} steps)`);
console.log(`  recovered a    ${fmt(sgd.a)}  mse ${sgd.loss.toFixed(5)}`);

console.log('\nwhat the learning rate does (100 steps each):');
const runs = [];
for (const tryLr of [0.001, 0.1, 1.05]) {
  const r = await gradientDescent(data, { lr: tryLr, steps: 100 });
  runs.push(r);
  console.log(`  lr=${String(tryLr).padEnd(6)} a=${fmt(r.a)}  -> ${diagnoseLinearRun(r, data).message}`);
}

const outDir = resolve(values.out);
await mkdir(outDir, { recursive: true });
const files = {
  'sgd-animation.svg': fitAnimationSvg(data, run),
  'sgd-animation.html': fitAnimationHtml(data, run),
  'sgd-loss.svg': lossCurveSvg(run),
  'sgd-minibatch-loss.svg': lossCurveSvg(sgd, { showBatchLoss: true, title: 'Minibatch SGD: loss per step' }),
  'sgd-learning-rates.svg': lossCurveSvg(runs, { title: 'Loss per step for three learning rates' }),
};
for (const [name, text] of Object.entries(files)) await writeFile(resolve(outDir, name), text);
await writeFile(resolve(outDir, 'sgd-loss.png'), await svgToPng(files['sgd-loss.svg']));
const written = [...Object.keys(files), 'sgd-loss.png'];
if (!values['no-gif']) {
  await writeFile(resolve(outDir, 'sgd-animation.gif'), await fitAnimationGif(data, run));
  written.push('sgd-animation.gif');
}
console.log(`\nwrote ${written.map((f) => resolve(outDir, f)).join('\n      ')}`);
console.log('open sgd-animation.html (or the .svg) in a browser to watch the line fit the points.');
