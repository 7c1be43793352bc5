import { detectRuntime } from '@bears/backend';
import { linePlotSvg, type LrFindResult } from '@bears/sgd';
import { LearnerError } from './errors.js';

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  /** Points to mark (an LR suggestion, say). */
  marks?: Array<{ x: number; y: number; label: string; color?: string }>;
  /** Vertical markers (where the body was unfrozen, say). */
  vLines?: Array<{ x: number; label?: string }>;
}

/** A line chart of one or more series as SVG (@bears/sgd's plot, matplotlib look). */
export function lineChartSvg(series: Series[], options: ChartOptions): string {
  const clean = (s: Series) => {
    const x: number[] = [];
    const y: number[] = [];
    s.x.forEach((v, i) => {
      if (Number.isFinite(v) && Number.isFinite(s.y[i]!)) {
        x.push(v);
        y.push(s.y[i]!);
      }
    });
    return { x, y, label: s.name };
  };
  return linePlotSvg({
    series: series.map(clean).filter((s) => s.x.length > 0),
    marks: (options.marks ?? []).filter((m) => Number.isFinite(m.x) && Number.isFinite(m.y)),
    vLines: (options.vLines ?? []).filter((v) => Number.isFinite(v.x)),
    title: options.title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    xLog: options.logX,
    yLog: options.logY,
    legend: series.length > 1,
  });
}

/** The sweep's loss at the tried learning rate nearest to `lr` (on the log scale). */
function lossAt(lrs: number[], losses: number[], lr: number): number {
  let best = 0;
  for (let i = 1; i < lrs.length; i++) if (Math.abs(Math.log(lrs[i]! / lr)) < Math.abs(Math.log(lrs[best]! / lr))) best = i;
  return losses[best] ?? NaN;
}

/** The LR finder's curve (log learning rate) with every suggestion the CLI prints marked: valley, steep and min/10. */
export function lrFindSvg(result: LrFindResult): string {
  const s = result.suggestions;
  const marks = s
    ? [
        { x: s.valley.lr, y: s.valley.loss, label: `valley ${s.valley.lr.toExponential(1)}` },
        { x: s.steep.lr, y: s.steep.loss, label: `steep ${s.steep.lr.toExponential(1)}`, color: '#ff7f0e' },
        // min/10 is a tenth of the lowest point's rate: marked where it points, on the curve.
        { x: s.minimum.lr, y: lossAt(result.lrs, result.losses, s.minimum.lr), label: `min/10 ${s.minimum.lr.toExponential(1)}`, color: '#2ca02c' },
      ]
    : [];
  return lineChartSvg([{ name: 'loss', x: result.lrs, y: result.losses }], { title: 'Learning rate finder', xLabel: 'learning rate (log scale)', yLabel: 'loss', logX: true, marks });
}

/**
 * Renders an SVG to PNG bytes with sharp (@bears/sgd/node), so in Node only; in browsers draw the
 * SVG itself (the *Svg methods), which needs no rasterizer.
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  if (detectRuntime() !== 'node') throw new LearnerError('PNG plots need Node (sharp); in browsers and Workers use the SVG (e.g. recorder.plotLossesSvg())');
  // A specifier bundlers do not follow: the root entry stays free of sharp.
  const spec = '@bears/sgd/node';
  return ((await import(/* @vite-ignore */ spec)) as typeof import('@bears/sgd/node')).svgToPng(svg);
}
