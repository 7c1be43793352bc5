/**
 * A small, dependency-free SVG line plot: axes, ticks, optional log axes, several series,
 * marked points with labels, vertical markers. Deterministic output (fixed number formatting),
 * browser-safe, for loss curves, LR-finder plots and metrics.
 */

export interface PlotSeries {
  x: readonly number[];
  y: readonly number[];
  label?: string;
  color?: string;
  /** Stroke width in px. */
  width?: number;
  /** SVG stroke-dasharray, e.g. '4 3'. */
  dash?: string;
  /** Draw a dot at every point as well as the line. */
  dots?: boolean;
  /** Draw only dots (a scatter plot). */
  scatter?: boolean;
}

export interface PlotMark {
  x: number;
  y: number;
  label?: string;
  color?: string;
}

export interface PlotVLine {
  x: number;
  label?: string;
  color?: string;
}

export interface LinePlotOptions {
  series: PlotSeries[];
  marks?: PlotMark[];
  vLines?: PlotVLine[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  xLog?: boolean;
  yLog?: boolean;
  /** Fixed axis ranges (data outside is clipped). Defaults fit the data. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  width?: number;
  height?: number;
  /** Show a legend; default: when two or more series have labels. */
  legend?: boolean;
  background?: string;
  fontFamily?: string;
  /** Prefix for element ids (the clip path), to keep several plots on one HTML page apart. Default 'plot'. */
  id?: string;
}

/** matplotlib's tab10 colours, so plots look like the lesson's. */
export const PLOT_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Plot area geometry, and the data -> pixel mapping, shared by linePlotSvg and the animation. */
export interface PlotFrame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
  xDomain: [number, number];
  yDomain: [number, number];
  xTicks: number[];
  yTicks: number[];
}

/** Renders a line plot as a standalone SVG document string. */
export function linePlotSvg(options: LinePlotOptions): string {
  const o = options;
  if (!o || !Array.isArray(o.series)) throw new Error('linePlotSvg: options.series must be an array of { x, y } series');
  o.series.forEach((s, i) => {
    if (!s || !isNumArray(s.x) || !isNumArray(s.y)) throw new Error(`linePlotSvg: series ${i}${s?.label ? ` ('${s.label}')` : ''} needs x and y arrays of numbers`);
    if (s.x.length !== s.y.length) throw new Error(`linePlotSvg: series ${i}${s.label ? ` ('${s.label}')` : ''} has ${s.x.length} x values and ${s.y.length} y values`);
  });
  const xs = [...o.series.flatMap((s) => s.x), ...(o.marks ?? []).map((m) => m.x), ...(o.vLines ?? []).map((v) => v.x)];
  const ys = [...o.series.flatMap((s) => s.y), ...(o.marks ?? []).map((m) => m.y)];
  const frame = plotFrame({
    width: o.width,
    height: o.height,
    xs,
    ys,
    xLog: o.xLog,
    yLog: o.yLog,
    xDomain: o.xDomain,
    yDomain: o.yDomain,
    title: !!o.title,
    xLabel: !!o.xLabel,
    yLabel: !!o.yLabel,
  });
  const parts: string[] = [];
  parts.push(svgOpen(frame.width, frame.height, o.background ?? 'white', o.fontFamily));
  parts.push(axesSvg(frame, { xLog: o.xLog, yLog: o.yLog, title: o.title, xLabel: o.xLabel, yLabel: o.yLabel }));
  const clipId = `${(o.id ?? 'plot').replace(/[^A-Za-z0-9_-]/g, '_')}-area`;
  parts.push(`<clipPath id="${clipId}"><rect x="${n(frame.left)}" y="${n(frame.top)}" width="${n(frame.right - frame.left)}" height="${n(frame.bottom - frame.top)}"/></clipPath>`);
  parts.push(`<g clip-path="url(#${clipId})">`);
  for (const v of o.vLines ?? []) {
    if (!usable(v.x, o.xLog)) continue;
    const px = n(frame.sx(v.x));
    parts.push(`<line x1="${px}" y1="${n(frame.top)}" x2="${px}" y2="${n(frame.bottom)}" stroke="${esc(v.color ?? '#999')}" stroke-dasharray="3 3" stroke-width="1"/>`);
  }
  const vLabels = (o.vLines ?? [])
    .filter((v) => v.label && usable(v.x, o.xLog))
    .map((v) => {
      // Written beside the line, at the bottom of the plot, away from the legend.
      const px = frame.sx(v.x);
      const rightSide = px < frame.left + (frame.right - frame.left) * 0.7;
      return `<text x="${n(px + (rightSide ? 4 : -4))}" y="${n(frame.bottom - 6)}" font-size="11" fill="${esc(v.color ?? '#555')}" text-anchor="${rightSide ? 'start' : 'end'}">${esc(v.label!)}</text>`;
    });
  o.series.forEach((s, i) => {
    const color = esc(s.color ?? PLOT_COLORS[i % PLOT_COLORS.length]!);
    const pts = s.x.map((x, j) => [x, s.y[j]!] as const);
    if (!s.scatter) {
      const d = pathData(pts, frame, o.xLog, o.yLog);
      if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${n(s.width ?? 1.75)}"${s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : ''} stroke-linejoin="round" stroke-linecap="round"/>`);
    }
    if (s.dots || s.scatter) {
      const dots = pts
        .filter(([x, y]) => usable(x, o.xLog) && usable(y, o.yLog))
        .map(([x, y]) => `<circle cx="${n(frame.sx(x))}" cy="${n(frame.sy(y))}" r="${s.scatter ? 2.5 : 2}"/>`);
      if (dots.length) parts.push(`<g fill="${color}">${dots.join('')}</g>`);
    }
  });
  parts.push('</g>');
  const obstacles = (o.marks ?? []).some((m) => m.label) ? legendObstacles(frame, o.series, { xLog: o.xLog, yLog: o.yLog, marks: o.marks }) : [];
  for (const m of o.marks ?? []) {
    if (!usable(m.x, o.xLog) || !usable(m.y, o.yLog)) continue;
    const cx = frame.sx(m.x);
    const cy = clamp(frame.sy(m.y), frame.top, frame.bottom);
    const color = esc(m.color ?? '#d62728');
    parts.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="5" fill="${color}" stroke="white" stroke-width="1"/>`);
    if (m.label) {
      const { x, y, anchor } = markLabelPlace(frame, cx, cy, m.label.length * 6.3, obstacles);
      parts.push(`<text x="${n(x)}" y="${n(y)}" font-size="11" fill="${color}" text-anchor="${anchor}">${esc(m.label)}</text>`);
    }
  }
  const labelled = o.series.filter((s) => s.label);
  const legend = o.legend ?? labelled.length >= 2 ? legendSvg(frame, o.series, { xLog: o.xLog, yLog: o.yLog, marks: o.marks }) : undefined;
  parts.push(...vLineLabels(frame, o, legend?.box));
  if (legend) parts.push(legend.svg);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface FrameInput {
  width?: number;
  height?: number;
  xs: readonly number[];
  ys: readonly number[];
  xLog?: boolean;
  yLog?: boolean;
  xDomain?: [number, number];
  yDomain?: [number, number];
  title?: boolean;
  xLabel?: boolean;
  yLabel?: boolean;
}

/** Computes margins, domains, ticks and scales for a plot. */
export function plotFrame(f: FrameInput): PlotFrame {
  const width = f.width ?? 640;
  const height = f.height ?? 400;
  if (!(width >= 100 && height >= 80)) throw new Error(`plot size must be at least 100x80, got ${width}x${height}`);
  const left = f.yLabel ? 70 : 56;
  const right = width - 16;
  const top = f.title ? 34 : 14;
  const bottom = height - (f.xLabel ? 48 : 30);
  const xd = domainFor('x', f.xs, f.xLog, f.xDomain, false);
  const yd = domainFor('y', f.ys, f.yLog, f.yDomain, true);
  const tx = f.xLog ? logTicks(xd) : niceTicks(xd[0], xd[1], Math.max(2, Math.round((right - left) / 90)));
  const ty = f.yLog ? logTicks(yd) : niceTicks(yd[0], yd[1], Math.max(2, Math.round((bottom - top) / 60)));
  const xDomain = xd;
  const yDomain: [number, number] = !f.yDomain && !f.yLog ? [Math.min(yd[0], ty[0]!), Math.max(yd[1], ty[ty.length - 1]!)] : yd;
  // Losses, learning rates and error rates are never negative: their axis stops at zero.
  if (!f.yDomain && !f.yLog && f.ys.some(Number.isFinite) && f.ys.every((v) => !Number.isFinite(v) || v >= 0)) yDomain[0] = Math.max(0, yDomain[0]);
  const yTicks = ty.filter((t) => t >= yDomain[0] - 1e-12 * Math.abs(yDomain[0]) && t <= yDomain[1] * (1 + 1e-12));
  const xTicks = tx.filter((t) => t >= xDomain[0] - Math.abs(xDomain[0]) * 1e-12 && t <= xDomain[1] + Math.abs(xDomain[1]) * 1e-12);
  const tr = (v: number, log?: boolean) => (log ? Math.log10(v) : v);
  const [x0, x1] = [tr(xDomain[0], f.xLog), tr(xDomain[1], f.xLog)];
  const [y0, y1] = [tr(yDomain[0], f.yLog), tr(yDomain[1], f.yLog)];
  return {
    width,
    height,
    left,
    right,
    top,
    bottom,
    xDomain,
    yDomain,
    xTicks,
    yTicks,
    sx: (x) => left + ((tr(x, f.xLog) - x0) / (x1 - x0)) * (right - left),
    sy: (y) => bottom - ((tr(y, f.yLog) - y0) / (y1 - y0)) * (bottom - top),
  };
}

function domainFor(axis: string, vals: readonly number[], log: boolean | undefined, fixed: [number, number] | undefined, pad: boolean): [number, number] {
  if (fixed) {
    if (!(Number.isFinite(fixed[0]) && Number.isFinite(fixed[1]) && fixed[1] > fixed[0]) || (log && fixed[0] <= 0)) {
      throw new Error(`plot: ${axis}Domain must be [min, max] with min < max${log ? ' and min > 0 (log axis)' : ''}, got ${JSON.stringify(fixed)}`);
    }
    return fixed;
  }
  const ok = vals.filter((v) => usable(v, log));
  if (ok.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...ok);
  let hi = Math.max(...ok);
  if (log) {
    if (lo === hi) return [lo / 10, hi * 10];
    return [lo, hi];
  }
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  if (pad) {
    const d = (hi - lo) * 0.05;
    lo = lo >= 0 ? Math.max(0, lo - d) : lo - d;
    hi += d;
  }
  return [lo, hi];
}

/** "Nice" linear ticks (1, 2, 2.5, 5 x 10^k) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * (1 - 1e-9); v += step) ticks.push(roundTo(v, step));
  return ticks;
}

/** Powers of ten inside [lo, hi] (with 2 and 5 multiples when the range is under two decades). */
export function logTicks([lo, hi]: [number, number]): number[] {
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mults = e1 - e0 <= 3 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((e1 - e0) / 10));
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % every !== 0) continue;
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks.length ? ticks : [lo, hi];
}

/** Formats a tick value: short, exponent form for very large/small magnitudes. */
export function formatTick(v: number, log = false): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  // Log axes: plain numbers near 1 (0.01 .. 1000), exponents beyond, as matplotlib's LogFormatter reads.
  if ((log && (a < 1e-2 || a > 1e3)) || a >= 1e5 || a < 1e-3) {
    const e = Math.floor(Math.log10(a) + 1e-9);
    const m = Number((v / 10 ** e).toPrecision(3));
    return m === 1 ? `1e${e}` : m === -1 ? `-1e${e}` : `${m}e${e}`;
  }
  return String(Number(v.toPrecision(6)));
}

export function axesSvg(frame: PlotFrame, o: { xLog?: boolean; yLog?: boolean; title?: string; xLabel?: string; yLabel?: string }): string {
  const { left, right, top, bottom } = frame;
  const p: string[] = [];
  p.push('<g stroke="#e6e6e6" stroke-width="1">');
  for (const t of frame.yTicks) p.push(`<line x1="${n(left)}" y1="${n(frame.sy(t))}" x2="${n(right)}" y2="${n(frame.sy(t))}"/>`);
  for (const t of frame.xTicks) p.push(`<line x1="${n(frame.sx(t))}" y1="${n(top)}" x2="${n(frame.sx(t))}" y2="${n(bottom)}"/>`);
  p.push('</g>');
  p.push(`<rect x="${n(left)}" y="${n(top)}" width="${n(right - left)}" height="${n(bottom - top)}" fill="none" stroke="#333" stroke-width="1"/>`);
  p.push('<g font-size="11" fill="#333">');
  for (const t of frame.xTicks) p.push(`<text x="${n(frame.sx(t))}" y="${n(bottom + 15)}" text-anchor="middle">${esc(formatTick(t, o.xLog))}</text>`);
  for (const t of frame.yTicks) p.push(`<text x="${n(left - 6)}" y="${n(frame.sy(t) + 4)}" text-anchor="end">${esc(formatTick(t, o.yLog))}</text>`);
  p.push('</g>');
  if (o.title) p.push(`<text x="${n((left + right) / 2)}" y="22" font-size="14" text-anchor="middle" fill="#111">${esc(o.title)}</text>`);
  if (o.xLabel) p.push(`<text x="${n((left + right) / 2)}" y="${n(bottom + 36)}" font-size="12" text-anchor="middle" fill="#333">${esc(o.xLabel)}</text>`);
  if (o.yLabel) {
    const cy = (top + bottom) / 2;
    p.push(`<text x="16" y="${n(cy)}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 16 ${n(cy)})">${esc(o.yLabel)}</text>`);
  }
  return p.join('\n');
}

/** The legend goes in the plot corner that covers the fewest drawn points (of lines, sampled densely, and marks). */
function legendSvg(frame: PlotFrame, series: PlotSeries[], o: { xLog?: boolean; yLog?: boolean; marks?: PlotMark[] } = {}): { svg: string; box: Box } {
  const items = series.map((s, i) => ({ s, i })).filter(({ s }) => s.label);
  const w = Math.max(...items.map(({ s }) => s.label!.length)) * 6.5 + 34;
  const h = items.length * 16 + 8;
  const pts = legendObstacles(frame, series, o);
  const corners = [
    [frame.right - w - 8, frame.top + 8],
    [frame.left + 8, frame.top + 8],
    [frame.right - w - 8, frame.bottom - h - 8],
    [frame.left + 8, frame.bottom - h - 8],
  ] as const;
  const covered = corners.map(([cx, cy]) => pts.filter(([px, py]) => px >= cx - 4 && px <= cx + w + 4 && py >= cy - 4 && py <= cy + h + 4).length);
  const best = covered.indexOf(Math.min(...covered));
  const [x, y] = corners[best]!;
  const p = [`<g font-size="11"><rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${h}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`];
  items.forEach(({ s, i }, k) => {
    const color = esc(s.color ?? PLOT_COLORS[i % PLOT_COLORS.length]!);
    const ly = y + 12 + k * 16;
    p.push(`<line x1="${n(x + 6)}" y1="${n(ly)}" x2="${n(x + 24)}" y2="${n(ly)}" stroke="${color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : ''}/>`);
    p.push(`<text x="${n(x + 29)}" y="${n(ly + 4)}" fill="#333">${esc(s.label!)}</text>`);
  });
  p.push('</g>');
  return { svg: p.join(''), box: [x, y, x + w, y + h] };
}

type Box = [x0: number, y0: number, x1: number, y1: number];

/** Labels of vertical markers, beside the line at the top or the bottom of the plot, wherever fewest lines and no legend run. */
function vLineLabels(f: PlotFrame, o: LinePlotOptions, legend?: Box): string[] {
  const lines = (o.vLines ?? []).filter((v) => v.label && usable(v.x, o.xLog));
  if (lines.length === 0) return [];
  const obstacles = legendObstacles(f, o.series, { xLog: o.xLog, yLog: o.yLog, marks: o.marks });
  return lines.map((v) => {
    const px = f.sx(v.x);
    const width = v.label!.length * 6.3;
    let best = { x: px + 4, y: f.bottom - 6, anchor: 'start' };
    let bestCost = Infinity;
    for (const y of [f.top + 14, f.bottom - 6]) {
      for (const anchor of ['start', 'end'] as const) {
        const x = anchor === 'start' ? px + 4 : px - 4;
        const [x0, x1] = anchor === 'start' ? [x, x + width] : [x - width, x];
        const overlaps = (b: Box) => x0 <= b[2] && x1 >= b[0] && y - 11 <= b[3] && y + 2 >= b[1];
        const outside = x0 < f.left || x1 > f.right ? 1000 : 0;
        const cost = outside + (legend && overlaps(legend) ? 500 : 0) + obstacles.filter(([qx, qy]) => qx >= x0 && qx <= x1 && qy >= y - 11 && qy <= y + 2).length;
        if (cost < bestCost) [best, bestCost] = [{ x, y, anchor }, cost];
      }
    }
    return `<text x="${n(best.x)}" y="${n(best.y)}" font-size="11" fill="${esc(v.color ?? '#555')}" text-anchor="${best.anchor}">${esc(v.label!)}</text>`;
  });
}

/**
 * Where a mark's label goes: above or below, right or left of the point, whichever stays inside the plot
 * and crosses the fewest drawn points (a label written over the curve it marks is hard to read).
 */
function markLabelPlace(f: PlotFrame, cx: number, cy: number, width: number, obstacles: Array<[number, number]>): { x: number; y: number; anchor: 'start' | 'end' } {
  // Nearest first; farther ones for a point in a corner with its curve next to it.
  const candidates = [8, 24, 48].flatMap((d) => [
    { dx: 8, dy: -d, anchor: 'start' as const },
    { dx: -8, dy: d + 8, anchor: 'end' as const },
    { dx: 8, dy: d + 8, anchor: 'start' as const },
    { dx: -8, dy: -d, anchor: 'end' as const },
  ]);
  let best = { x: cx + 8, y: cy - 8, anchor: 'start' as 'start' | 'end' };
  let bestCost = Infinity;
  for (const c of candidates) {
    const x = cx + c.dx;
    const y = cy + c.dy;
    const [x0, x1] = c.anchor === 'start' ? [x, x + width] : [x - width, x];
    const [y0, y1] = [y - 11, y + 2];
    const outside = x0 < f.left || x1 > f.right || y0 < f.top || y1 > f.bottom ? 1000 : 0;
    const cost = outside + obstacles.filter(([px, py]) => px >= x0 && px <= x1 && py >= y0 && py <= y1).length;
    if (cost < bestCost) [best, bestCost] = [{ x, y, anchor: c.anchor }, cost];
  }
  return best;
}

/** Pixel positions along every series (segments sampled every few px) and at every mark. */
function legendObstacles(f: PlotFrame, series: PlotSeries[], o: { xLog?: boolean; yLog?: boolean; marks?: PlotMark[] }): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const px = (x: number, y: number): [number, number] => [clamp(f.sx(x), -1e5, 1e5), clamp(f.sy(y), -1e5, 1e5)];
  for (const s of series) {
    let prev: [number, number] | undefined;
    for (let j = 0; j < s.x.length; j++) {
      if (!usable(s.x[j]!, o.xLog) || !usable(s.y[j]!, o.yLog)) {
        prev = undefined;
        continue;
      }
      const cur = px(s.x[j]!, s.y[j]!);
      if (prev && !s.scatter) {
        const steps = Math.min(200, Math.ceil(Math.hypot(cur[0] - prev[0], cur[1] - prev[1]) / 4));
        for (let k = 1; k < steps; k++) out.push([prev[0] + ((cur[0] - prev[0]) * k) / steps, prev[1] + ((cur[1] - prev[1]) * k) / steps]);
      }
      out.push(cur);
      prev = cur;
    }
  }
  for (const m of o.marks ?? []) if (usable(m.x, o.xLog) && usable(m.y, o.yLog)) out.push(px(m.x, m.y));
  return out;
}

function pathData(pts: ReadonlyArray<readonly [number, number]>, f: PlotFrame, xLog?: boolean, yLog?: boolean): string {
  let d = '';
  let pen = false;
  for (const [x, y] of pts) {
    if (!usable(x, xLog) || !usable(y, yLog)) {
      pen = false; // a NaN or Infinity breaks the line, as matplotlib does
      continue;
    }
    // Keep far-off points finite so the clip path, not the renderer, cuts them.
    const px = clamp(f.sx(x), -1e5, 1e5);
    const py = clamp(f.sy(y), -1e5, 1e5);
    d += `${pen ? 'L' : 'M'}${n(px)} ${n(py)}`;
    pen = true;
  }
  return d;
}

export function svgOpen(width: number, height: number, background: string, fontFamily?: string): string {
  const font = esc(fontFamily ?? 'DejaVu Sans, Helvetica, Arial, sans-serif');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${font}">\n` +
    `<rect width="${width}" height="${height}" fill="${esc(background)}"/>`
  );
}

function usable(v: number, log?: boolean): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

function isNumArray(a: unknown): a is number[] {
  return (Array.isArray(a) || ArrayBuffer.isView(a)) && Array.prototype.every.call(a, (v: unknown) => typeof v === 'number');
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function roundTo(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(20, digits)));
}

/** A number for an SVG attribute: 2 decimals, no trailing zeros, no "-0". */
export function n(v: number): string {
  const s = (Math.round(v * 100) / 100).toString();
  return s === '-0' ? '0' : s;
}

/** Escapes text for XML content and attributes. */
export function esc(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
