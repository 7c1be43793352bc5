import { diagnoseLinearRun, leastSquares, type LinearData, type LinearRun, type LinearStep } from './from-scratch.js';
import { axesSvg, esc, linePlotSvg, n, plotFrame, svgOpen, type PlotFrame } from './plot.js';

/**
 * The lesson's FuncAnimation of the line fitting the points, as a self-contained animated SVG
 * (SMIL, plays in every browser with no script), one static SVG per frame (for GIF/PNG), an HTML
 * page with the animation and the loss curve, and the loss curve on its own.
 */

export interface FitAnimationOptions {
  width?: number;
  height?: number;
  /** At most this many frames, spread evenly over the history (the first and last always kept). */
  maxFrames?: number;
  /** Milliseconds per frame (the lesson's FuncAnimation used interval=20; 60 reads better). */
  frameMs?: number;
  /** Extra frames the final fit is held for before the animation loops. */
  holdFrames?: number;
  /** Draw the line the data was made with, dashed. */
  showTrue?: boolean;
  /** Minibatch SGD runs: ring the points of the minibatch each update used (default true). */
  showBatch?: boolean;
  title?: string;
}

/** The history steps that become frames: at most maxFrames, evenly spread, first and last included. */
export function animationFrames(run: LinearRun, maxFrames = 100): LinearStep[] {
  const h = checkRun(run);
  if (!Number.isInteger(maxFrames) || maxFrames < 2) throw new Error(`maxFrames must be an integer >= 2, got ${maxFrames}`);
  if (h.length <= maxFrames) return [...h];
  const idx = new Set<number>();
  for (let k = 0; k < maxFrames; k++) idx.add(Math.round((k * (h.length - 1)) / (maxFrames - 1)));
  return [...idx].sort((a, b) => a - b).map((i) => h[i]!);
}

interface Scene {
  frame: PlotFrame;
  points: Array<[number, number]>;
  head: string;
  lineAt: (a: readonly number[]) => { y1: number; y2: number };
  xLo: number;
  xHi: number;
}

function scene(data: LinearData, options: FitAnimationOptions): Scene {
  checkData(data);
  const { d, x, y, n: count } = data;
  const xs: number[] = [];
  for (let i = 0; i < count; i++) xs.push(x[i * d]!);
  const ys = Array.from(y);
  const title = options.title ?? 'SGD from scratch: fitting y = a1*x + a2';
  const frame = plotFrame({ width: options.width ?? 480, height: options.height ?? 360, xs, ys, title: !!title, xLabel: true, yLabel: true });
  const [xLo, xHi] = frame.xDomain;
  const parts = [svgOpen(frame.width, frame.height, 'white'), axesSvg(frame, { title, xLabel: 'x', yLabel: 'y' })];
  parts.push(`<clipPath id="fit-area"><rect x="${n(frame.left)}" y="${n(frame.top)}" width="${n(frame.right - frame.left)}" height="${n(frame.bottom - frame.top)}"/></clipPath>`);
  // The lesson's plt.scatter(x[:,0], y).
  parts.push(`<g fill="#1f77b4" fill-opacity="0.8">${xs.map((v, i) => `<circle cx="${n(frame.sx(v))}" cy="${n(frame.sy(ys[i]!))}" r="3"/>`).join('')}</g>`);
  if (options.showTrue ?? true) {
    const t = lineEnds(data.trueA, xLo, xHi, frame);
    parts.push(`<line clip-path="url(#fit-area)" x1="${n(frame.sx(xLo))}" y1="${n(t.y1)}" x2="${n(frame.sx(xHi))}" y2="${n(t.y2)}" stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  }
  const points = xs.map((v, i) => [frame.sx(v), frame.sy(ys[i]!)] as [number, number]);
  return { frame, points, head: parts.join('\n'), lineAt: (a) => lineEnds(a, xLo, xHi, frame), xLo, xHi };
}

/** Pixel y of the fitted line y = a1*x + a2 at both ends of the x axis (clamped so it stays finite). */
function lineEnds(a: readonly number[], xLo: number, xHi: number, f: PlotFrame): { y1: number; y2: number } {
  const at = (xv: number) => a[0]! * xv + (a.length > 1 ? a[a.length - 1]! : 0);
  const c = (v: number) => (Number.isFinite(v) ? Math.max(-1e4, Math.min(1e4, v)) : v > 0 ? 1e4 : -1e4);
  return { y1: c(f.sy(at(xLo))), y2: c(f.sy(at(xHi))) };
}

function caption(s: LinearStep): string {
  const loss = Number.isFinite(s.loss) ? (Math.abs(s.loss) >= 1e4 ? s.loss.toExponential(2) : s.loss.toFixed(4)) : String(s.loss);
  return `step ${s.step} · a = (${s.a.map((v) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toFixed(3)) : String(v))).join(', ')}) · loss ${loss}`;
}

/**
 * An animated SVG (SMIL, no script) of the fitted line moving over the points, one frame per
 * recorded step (subsampled to maxFrames), looping. Viewers without SMIL show the final fit.
 */
export function fitAnimationSvg(data: LinearData, run: LinearRun, options: FitAnimationOptions = {}): string {
  const { frameMs = 60, holdFrames = 15 } = options;
  if (!(frameMs > 0)) throw new Error(`fitAnimationSvg: frameMs must be > 0, got ${frameMs}`);
  if (!Number.isInteger(holdFrames) || holdFrames < 0) throw new Error(`fitAnimationSvg: holdFrames must be an integer >= 0, got ${holdFrames}`);
  const frames = animationFrames(run, options.maxFrames ?? 100);
  const sc = scene(data, options);
  const { frame } = sc;
  const seq = [...frames, ...Array<LinearStep>(holdFrames).fill(frames[frames.length - 1]!)];
  const total = seq.length;
  const dur = `${((total * frameMs) / 1000).toFixed(3)}s`;
  const ends = seq.map((s) => sc.lineAt(s.a));
  const last = ends[ends.length - 1]!;
  const p = [sc.head];
  p.push(`<g id="fit-animation" data-frames="${frames.length}" data-frame-ms="${frameMs}">`);
  // Base attributes are the final fit (what a static renderer shows); the animations run from t=0.
  p.push(
    `<line class="fit" clip-path="url(#fit-area)" x1="${n(frame.sx(sc.xLo))}" y1="${n(last.y1)}" x2="${n(frame.sx(sc.xHi))}" y2="${n(last.y2)}" stroke="#d62728" stroke-width="2.5">` +
      `<animate attributeName="y1" dur="${dur}" calcMode="discrete" repeatCount="indefinite" values="${ends.map((e) => n(e.y1)).join(';')}"/>` +
      `<animate attributeName="y2" dur="${dur}" calcMode="discrete" repeatCount="indefinite" values="${ends.map((e) => n(e.y2)).join(';')}"/>` +
      '</line>',
  );
  // Per-frame captions (and minibatch rings), each visible during its own slot of the loop.
  const slot = (k: number) => {
    const start = k / total;
    const end = k === frames.length - 1 ? 1 : (k + 1) / total;
    const keyTimes = k === 0 ? `0;${kt(end)}` : end >= 1 ? `0;${kt(start)}` : `0;${kt(start)};${kt(end)}`;
    const values = k === 0 ? 'visible;hidden' : end >= 1 ? 'hidden;visible' : 'hidden;visible;hidden';
    return {
      base: k === frames.length - 1 ? 'visible' : 'hidden',
      animate: `<animate attributeName="visibility" dur="${dur}" calcMode="discrete" repeatCount="indefinite" keyTimes="${keyTimes}" values="${values}"/>`,
    };
  };
  if (options.showBatch ?? true) {
    frames.forEach((s, k) => {
      if (!s.batch?.length) return;
      const { base, animate } = slot(k);
      p.push(`<g class="batch" fill="none" stroke="#ff7f0e" stroke-width="1.5" visibility="${base}">${animate}${batchRings(sc, s.batch)}</g>`);
    });
  }
  const tx = n(frame.left + 8);
  const ty = n(frame.top + 16);
  frames.forEach((s, k) => {
    const { base, animate } = slot(k);
    p.push(`<text class="caption" x="${tx}" y="${ty}" font-size="12" fill="#111" visibility="${base}">${esc(caption(s))}${animate}</text>`);
  });
  p.push('</g>');
  p.push('</svg>');
  return p.join('\n') + '\n';
}

function batchRings(sc: Scene, batch: readonly number[]): string {
  return batch
    .filter((i) => i >= 0 && i < sc.points.length)
    .map((i) => `<circle cx="${n(sc.points[i]![0])}" cy="${n(sc.points[i]![1])}" r="5.5"/>`)
    .join('');
}

function kt(v: number): string {
  return Number(v.toFixed(6)).toString();
}

/** One static frame: the points and the line at step `step` (for GIF or PNG rendering). */
export function fitFrameSvg(data: LinearData, step: LinearStep, options: FitAnimationOptions = {}): string {
  if (!step || !Array.isArray(step.a)) throw new Error('fitFrameSvg: step must be a LinearStep from a run history');
  const sc = scene(data, options);
  const e = sc.lineAt(step.a);
  const { frame } = sc;
  return (
    [
      sc.head,
      ...((options.showBatch ?? true) && step.batch?.length ? [`<g class="batch" fill="none" stroke="#ff7f0e" stroke-width="1.5">${batchRings(sc, step.batch)}</g>`] : []),
      `<line class="fit" clip-path="url(#fit-area)" x1="${n(frame.sx(sc.xLo))}" y1="${n(e.y1)}" x2="${n(frame.sx(sc.xHi))}" y2="${n(e.y2)}" stroke="#d62728" stroke-width="2.5"/>`,
      `<text class="caption" x="${n(frame.left + 8)}" y="${n(frame.top + 16)}" font-size="12" fill="#111">${esc(caption(step))}</text>`,
      '</svg>',
    ].join('\n') + '\n'
  );
}

export interface LossCurveOptions {
  width?: number;
  height?: number;
  title?: string;
  /** Log-scale loss axis (default: on when the loss spans more than two decades). */
  yLog?: boolean;
  /** Draw minibatch losses too, for SGD runs. */
  showBatchLoss?: boolean;
  /** Prefix for element ids, see linePlotSvg. */
  id?: string;
}

/** The loss at every step of one or more runs (several runs: one line each, labelled by lr). */
export function lossCurveSvg(runs: LinearRun | LinearRun[], options: LossCurveOptions = {}): string {
  const list = Array.isArray(runs) ? runs : [runs];
  if (list.length === 0) throw new Error('lossCurveSvg: no runs given');
  list.forEach(checkRun);
  const series = list.flatMap((r) => {
    const label = list.length > 1 ? `lr=${r.lr}` : 'loss (all points)';
    const main = { x: r.history.map((s) => s.step), y: r.history.map((s) => s.loss), label };
    if (!options.showBatchLoss || r.method !== 'sgd') return [main];
    const batch = r.history.filter((s) => s.batchLoss !== undefined);
    return [main, { x: batch.map((s) => s.step), y: batch.map((s) => s.batchLoss!), label: `minibatch loss${list.length > 1 ? ` lr=${r.lr}` : ''}`, width: 1, dash: '2 2' }];
  });
  const finite = series.flatMap((s) => s.y).filter((v) => Number.isFinite(v) && v > 0);
  const yLog = options.yLog ?? (finite.length > 0 && Math.max(...finite) / Math.min(...finite) > 100);
  return linePlotSvg({
    series,
    width: options.width ?? 480,
    height: options.height ?? 300,
    title: options.title ?? 'Loss (mse) per step',
    xLabel: 'step',
    yLabel: 'mse',
    yLog,
    id: options.id ?? 'loss',
    legend: series.length > 1,
  });
}

/** A self-contained HTML page: the animation, the loss curve and what the run found, with no scripts or external files. */
export function fitAnimationHtml(data: LinearData, run: LinearRun, options: FitAnimationOptions & { pageTitle?: string } = {}): string {
  const anim = fitAnimationSvg(data, run, options);
  const loss = lossCurveSvg(run, { width: options.width ?? 480, showBatchLoss: run.method === 'sgd', id: 'loss' });
  const best = leastSquares(data);
  const diag = diagnoseLinearRun(run, data);
  const fmtA = (a: readonly number[]) => `(${a.map((v) => (Number.isFinite(v) ? v.toFixed(4) : String(v))).join(', ')})`;
  const title = options.pageTitle ?? 'SGD from scratch';
  const how = run.method === 'gd' ? `full-batch gradient descent, ${run.history.length - 1} steps` : `minibatch SGD, batch size ${run.batchSize}, ${run.history.length - 1} steps`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #111; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
td, th { padding: 0.2rem 0.8rem; text-align: left; }
.kind-converged { color: #2ca02c; } .kind-not-converged { color: #8c564b; } .kind-lr-too-high, .kind-lr-too-low { color: #d62728; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>${esc(how)}, lr = ${esc(String(run.lr))}, ${data.n} points, y = x @ a + noise.</p>
<div class="plots">
${stripXmlDecl(anim)}
${stripXmlDecl(loss)}
</div>
<table>
<tr><th>true a</th><td>${esc(fmtA(data.trueA))}</td></tr>
<tr><th>least squares</th><td>${esc(fmtA(best.a))} (mse ${esc(best.loss.toFixed(5))})</td></tr>
<tr><th>recovered a</th><td>${esc(fmtA(run.a))} (mse ${esc(Number.isFinite(run.loss) ? run.loss.toFixed(5) : String(run.loss))})</td></tr>
</table>
<p class="kind-${diag.kind}"><strong>${esc(diag.message)}</strong> ${esc(diag.advice)}</p>
</body>
</html>
`;
}

function stripXmlDecl(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '').trimEnd();
}

function checkRun(run: LinearRun): LinearStep[] {
  if (!run || !Array.isArray(run.history) || run.history.length === 0) throw new Error('expected a LinearRun from gradientDescent() or minibatchSgd() with a non-empty history');
  return run.history;
}

function checkData(data: LinearData): void {
  if (!data || !(data.x instanceof Float32Array) || !(data.y instanceof Float32Array) || data.x.length !== data.n * data.d) {
    throw new Error('expected LinearData from makeLinearData()');
  }
}
