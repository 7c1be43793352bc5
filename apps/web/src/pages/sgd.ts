// SGD from scratch: the lesson's line fit, stepped live with @bears/sgd on tfjs's cpu backend
// (100 points and 2 parameters: the main thread is plenty).
import { cpuBackend, registerBackend, useBackend } from '@bears/backend';
import { diagnoseLinearRun, fitFrameSvg, lossCurveSvg, makeLinearData } from '@bears/sgd';
import { $ } from '../ui.js';
import { Stepper } from './sgd-stepper.js';

const PRESETS = {
  lesson: { lr: 0.1, batch: 100 },
  high: { lr: 1.2, batch: 100 },
  low: { lr: 0.001, batch: 100 },
} as const;
const STEPS = 100;

/** Slider position (log10) to a learning rate with two significant digits. */
function lrFromSlider(v: number): number {
  return Number((10 ** v).toPrecision(2));
}

function fmt(v: number): string {
  return Number.isFinite(v) ? (Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(4)) : String(v);
}

export async function start(root: HTMLElement): Promise<void> {
  registerBackend(cpuBackend);
  await useBackend('cpu', { env: null });
  const data = makeLinearData();
  const lrInput = $<HTMLInputElement>(root, '#sgd-lr');
  const lrValue = $<HTMLOutputElement>(root, '#sgd-lr-value');
  const batch = $<HTMLSelectElement>(root, '#sgd-batch');
  const stepBtn = $<HTMLButtonElement>(root, '#sgd-step');
  const playBtn = $<HTMLButtonElement>(root, '#sgd-play');
  const resetBtn = $<HTMLButtonElement>(root, '#sgd-reset');
  const readout = $(root, '#sgd-readout');
  const fit = $(root, '#sgd-fit');
  const loss = $(root, '#sgd-loss');
  const diagnosis = $(root, '#sgd-diagnosis');

  let stepper: Stepper;

  function render(s: Stepper): void {
    if (s !== stepper) return; // a run that Reset replaced, ending in the background
    const last = s.history[s.history.length - 1]!;
    fit.innerHTML = fitFrameSvg(data, last, { width: 480, height: 360 });
    loss.innerHTML = lossCurveSvg(s.partialRun(), { width: 480, height: 360, showBatchLoss: s.settings.batchSize < data.n });
    readout.textContent = `step ${last.step} · a = (${last.a.map((v) => fmt(v)).join(', ')}) · loss ${fmt(last.loss)}${s.done ? ' · finished' : ''}`;
    readout.dataset.step = String(last.step);
    readout.dataset.loss = String(last.loss);
    readout.dataset.firstLoss = String(s.history[0]!.loss);
    readout.dataset.done = String(s.done);
    playBtn.textContent = s.isPlaying ? 'Pause' : 'Play';
    playBtn.setAttribute('aria-pressed', String(s.isPlaying));
    stepBtn.disabled = s.done || s.isPlaying;
    playBtn.disabled = s.done;
    // The lesson's diagnosis, once there is enough of a run to judge (or it has ended).
    if (last.step >= 10 || (s.done && last.step > 0)) {
      const d = diagnoseLinearRun(s.partialRun(), data);
      diagnosis.className = `diagnosis ${d.kind}`;
      diagnosis.dataset.kind = d.kind;
      diagnosis.innerHTML = '';
      const msg = document.createElement('p');
      msg.innerHTML = `<strong></strong> `;
      msg.querySelector('strong')!.textContent = `After ${last.step} steps: ${d.message}`;
      msg.append(d.advice);
      diagnosis.append(msg);
    } else {
      diagnosis.className = 'diagnosis';
      delete diagnosis.dataset.kind;
      diagnosis.textContent = 'Step or play to see what this learning rate does.';
    }
  }

  function reset(): void {
    stepper?.stop();
    const lr = lrFromSlider(Number(lrInput.value));
    lrValue.textContent = String(lr);
    stepper = new Stepper(data, { lr, batchSize: Number(batch.value), steps: STEPS }, render);
    render(stepper);
  }

  lrInput.addEventListener('input', reset);
  batch.addEventListener('change', reset);
  resetBtn.addEventListener('click', reset);
  stepBtn.addEventListener('click', () => stepper.step());
  playBtn.addEventListener('click', () => stepper.play(!stepper.isPlaying));
  for (const b of root.querySelectorAll<HTMLButtonElement>('[data-preset]')) {
    b.addEventListener('click', () => {
      const p = PRESETS[b.dataset.preset as keyof typeof PRESETS];
      lrInput.value = String(Math.log10(p.lr));
      batch.value = String(p.batch);
      reset();
      stepper.play(true);
    });
  }
  reset();
  root.dataset.ready = 'true';
}
