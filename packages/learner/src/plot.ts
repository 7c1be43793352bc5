import { detectRuntime } from '@bears/backend';
import { linePlotSvg } from '@bears/sgd';
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
  /** Points to mark (an LR suggestion, say). */
  marks?: Array<{ x: number; y: number; label: string }>;
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
    title: options.title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    xLog: options.logX,
    legend: series.length > 1,
  });
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
