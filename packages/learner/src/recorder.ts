import type { EpochRecord } from '@bears/sgd';
import { lineChartSvg, svgToPng } from './plot.js';

// One definition of an epoch's record, in @bears/sgd (whose diagnoseHistory reads it).
export type { EpochRecord };

/** fastai's Recorder: per-step learning rates, momentum and losses; per-epoch losses and metrics. */
export class Recorder {
  /** One entry per optimizer step (all fits, in order). */
  readonly lrs: number[][] = [];
  readonly moms: number[] = [];
  readonly losses: number[] = [];
  /** Step index at which each validation loss was taken (end of each epoch). */
  readonly validSteps: number[] = [];
  readonly epochs: EpochRecord[] = [];
  /** Where training changed phase (step = optimizer steps before it), e.g. 'unfrozen'. */
  readonly phases: Array<{ step: number; label: string }> = [];
  metricNames: string[] = [];

  /** Notes a phase change at the current step (a later one at the same step replaces it). */
  markPhase(label: string): void {
    const step = this.losses.length;
    if (this.phases[this.phases.length - 1]?.step === step) this.phases.pop();
    this.phases.push({ step, label });
  }

  recordStep(lrs: number[], mom: number, loss: number): void {
    this.lrs.push([...lrs]);
    this.moms.push(mom);
    this.losses.push(loss);
  }

  recordEpoch(rec: EpochRecord): void {
    this.epochs.push(rec);
    this.validSteps.push(this.losses.length);
  }

  toJSON(): object {
    return { lrs: this.lrs, moms: this.moms, losses: this.losses, validSteps: this.validSteps, epochs: this.epochs, phases: this.phases, metricNames: this.metricNames };
  }

  static fromJSON(json: unknown): Recorder {
    const r = new Recorder();
    const j = json as ReturnType<Recorder['toJSON']> & Partial<Recorder>;
    if (j && typeof j === 'object') {
      r.lrs.push(...(j.lrs ?? []));
      r.moms.push(...(j.moms ?? []));
      r.losses.push(...(j.losses ?? []));
      r.validSteps.push(...(j.validSteps ?? []));
      r.epochs.push(...(j.epochs ?? []));
      r.phases.push(...(j.phases ?? []));
      r.metricNames = j.metricNames ?? [];
    }
    return r;
  }

  /** Training loss per step (smoothed) and validation loss per epoch, phase changes marked, as SVG (any runtime). */
  plotLossesSvg(): string {
    const steps = this.losses.map((_, i) => i + 1);
    return lineChartSvg(
      [
        { name: 'train', x: steps, y: this.losses },
        { name: 'valid', x: this.validSteps, y: this.epochs.map((e) => e.validLoss) },
      ],
      {
        title: 'Losses',
        xLabel: 'batches processed',
        yLabel: 'loss',
        // A change before the first step (the initial freeze) marks nothing.
        vLines: this.phases.filter((p) => p.step > 0).map((p) => ({ x: p.step + 0.5, label: p.label })),
      },
    );
  }

  /** Learning rate (last group, i.e. the head) per step, as SVG. */
  plotLrSvg(): string {
    const steps = this.lrs.map((_, i) => i);
    return lineChartSvg([{ name: 'lr (head)', x: steps, y: this.lrs.map((l) => l[l.length - 1] ?? NaN) }], {
      title: 'Learning rate schedule',
      xLabel: 'iteration',
      yLabel: 'learning rate',
    });
  }

  /** Each metric per epoch, as SVG. */
  plotMetricsSvg(): string {
    const x = this.epochs.map((_, i) => i);
    return lineChartSvg(
      this.metricNames.map((name) => ({ name, x, y: this.epochs.map((e) => e.metrics[name] ?? NaN) })),
      { title: 'Metrics', xLabel: 'epoch', yLabel: 'value' },
    );
  }

  /** plotLossesSvg() as PNG (Node: sharp). */
  async plotLosses(): Promise<Uint8Array> {
    return svgToPng(this.plotLossesSvg());
  }

  /** plotLrSvg() as PNG (Node: sharp). */
  async plotLr(): Promise<Uint8Array> {
    return svgToPng(this.plotLrSvg());
  }

  /** plotMetricsSvg() as PNG (Node: sharp). */
  async plotMetrics(): Promise<Uint8Array> {
    return svgToPng(this.plotMetricsSvg());
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function fmtTime(sec: number): string {
  const m = Math.floor(sec / 60);
  const s = Math.round(sec - m * 60);
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** fastai's table: epoch, train_loss, valid_loss, metrics, time. */
export function formatHeader(metricNames: string[]): string {
  return ['epoch', 'train_loss', 'valid_loss', ...metricNames, 'time'].map((h) => pad(h, 12)).join('');
}

export function formatRow(rec: EpochRecord, metricNames: string[]): string {
  const cells = [String(rec.epoch), rec.trainLoss.toFixed(6), rec.validLoss.toFixed(6), ...metricNames.map((m) => (rec.metrics[m] ?? NaN).toFixed(6)), fmtTime(rec.time)];
  return cells.map((c) => pad(c, 12)).join('');
}
