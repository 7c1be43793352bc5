import { describe, expect, it } from 'vitest';
import { formatTick, linePlotSvg, logTicks, niceTicks, plotFrame } from './plot.js';
import { attrs, checkXml } from './xml.test-util.js';

describe('ticks', () => {
  it('niceTicks covers the range with 1/2/2.5/5 x 10^k steps', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const t = niceTicks(-2.3, 6.1, 5);
    expect(t[0]).toBeLessThanOrEqual(-2.3);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(6.1);
    for (let i = 1; i < t.length; i++) expect(t[i]! - t[i - 1]!).toBeCloseTo(2, 12);
    // no float noise such as 0.00030000000000000003
    expect(niceTicks(0.0001, 0.00035, 4)).toEqual([0.0001, 0.0002, 0.0003, 0.0004]);
  });

  it('logTicks gives powers of ten (and 2, 5 multiples over a short range)', () => {
    expect(logTicks([1e-7, 10])).toEqual([1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10]);
    expect(logTicks([0.05, 3])).toEqual([0.05, 0.1, 0.2, 0.5, 1, 2]);
  });

  it('formatTick is short and exact', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.30000000000000004)).toBe('0.3');
    expect(formatTick(1e-7, true)).toBe('1e-7');
    expect(formatTick(0.1, true)).toBe('0.1');
    expect(formatTick(250000)).toBe('2.5e5');
  });
});

describe('linePlotSvg', () => {
  const x = [0, 1, 2, 3, 4];
  it('draws a well-formed SVG with axes, one path per series, a legend and marks', () => {
    const svg = linePlotSvg({
      series: [
        { x, y: [4, 3, 2.5, 2.2, 2.1], label: 'train_loss' },
        { x, y: [3, 2.8, 2.7, 2.75, 2.9], label: 'valid_loss', dash: '4 2' },
      ],
      marks: [{ x: 2, y: 2.7, label: 'best <epoch 2> & done' }],
      title: 'Losses',
      xLabel: 'epoch',
      yLabel: 'loss',
    });
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(names.filter((n) => n === 'path')).toHaveLength(2);
    expect(svg).toContain('train_loss');
    expect(svg).toContain('best &lt;epoch 2&gt; &amp; done');
    expect(svg).toContain('>Losses</text>');
    expect(svg).toMatch(/stroke-dasharray="4 2"/);
    expect(linePlotSvg({ series: [{ x, y: [1, 2, 3, 4, 5] }] })).toBe(linePlotSvg({ series: [{ x, y: [1, 2, 3, 4, 5] }] }));
  });

  it('maps data to pixels inside the plot area', () => {
    const f = plotFrame({ xs: [0, 10], ys: [0, 1], width: 400, height: 300 });
    expect(f.sx(0)).toBe(f.left);
    expect(f.sx(10)).toBe(f.right);
    expect(f.sy(f.yDomain[0])).toBeCloseTo(f.bottom, 9);
    expect(f.sy(f.yDomain[1])).toBeCloseTo(f.top, 9);
    expect(f.yDomain[0]).toBeLessThanOrEqual(0);
    expect(f.yDomain[1]).toBeGreaterThanOrEqual(1);
  });

  it('breaks lines at NaN/Infinity and skips non-positive values on log axes', () => {
    const svg = linePlotSvg({ series: [{ x: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2], y: [1, Number.NaN, 0.8, 0.5, Infinity] }], xLog: true });
    checkXml(svg);
    const d = attrs(svg, 'path', 'd')[0]!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(1);
    expect(svg).toContain('>1e-6</text>');
    const logY = linePlotSvg({ series: [{ x: [0, 1, 2], y: [1, 0, 0.01] }], yLog: true });
    expect(attrs(logY, 'path', 'd')[0]!.match(/[ML]/g)).toHaveLength(2);
  });

  it('clips to fixed domains and rejects bad input', () => {
    const svg = linePlotSvg({ series: [{ x: [0, 1], y: [0, 1e9] }], yDomain: [0, 2], id: 'lr find' });
    checkXml(svg);
    expect(svg).toContain('<clipPath id="lr_find-area">');
    expect(() => linePlotSvg({ series: [{ x: [0, 1], y: [1] }] })).toThrow(/series 0 has 2 x values and 1 y values/);
    expect(() => linePlotSvg({ series: [{ x: [1], y: [1] }], xLog: true, xDomain: [0, 1] })).toThrow(/xDomain must be \[min, max\].*min > 0/);
    expect(() => linePlotSvg({} as never)).toThrow(/series must be an array/);
  });
});

describe('readable plots', () => {
  it('non-negative data (losses, learning rates) never get an axis below zero', () => {
    const f = plotFrame({ xs: [0, 100], ys: [0.01, 0.2, 1.1] });
    expect(f.yDomain[0]).toBe(0);
    expect(f.yTicks.every((t) => t >= 0)).toBe(true);
    const g = plotFrame({ xs: [0, 100], ys: [1e-5, 3e-4] });
    expect(g.yDomain[0]).toBe(0);
    // data that goes negative keeps its padding below
    expect(plotFrame({ xs: [0, 1], ys: [-1, 1] }).yDomain[0]).toBeLessThan(-1);
  });

  it('puts the legend in the corner no line runs through', () => {
    const x = Array.from({ length: 50 }, (_, i) => i);
    // Both lines start high on the left and fall to the bottom right: the top right corner is empty.
    const falling = linePlotSvg({ series: [{ x, y: x.map((v) => 10 - v / 5), label: 'lr=0.1' }, { x, y: x.map((v) => 9 - v / 6), label: 'lr=0.01' }] });
    const box = (svg: string) => /<g font-size="11"><rect x="([\d.]+)" y="([\d.]+)"/.exec(svg)!.slice(1).map(Number);
    expect(box(falling)[0]).toBeGreaterThan(320);
    expect(box(falling)[1]).toBeLessThan(100);
    // A flat line along the top and one rising from the bottom left: only the bottom right is free.
    const busy = linePlotSvg({ yDomain: [0, 10], series: [{ x, y: x.map(() => 9.5), label: 'lr=1.1' }, { x, y: x.map((v) => v / 10), label: 'lr=0.1' }] });
    expect(box(busy)[0]).toBeGreaterThan(320);
    expect(box(busy)[1]).toBeGreaterThan(200);
  });

  it('labels vertical markers where no line or legend runs', () => {
    const svg = linePlotSvg({ series: [{ x: [0, 10], y: [1, 2] }], vLines: [{ x: 4, label: 'unfrozen' }] });
    checkXml(svg);
    expect(svg).toContain('>unfrozen</text>');
    // Losses near zero after the unfreeze: the label goes to the top, clear of the legend in the top right.
    const x = Array.from({ length: 36 }, (_, i) => i + 1);
    const losses = linePlotSvg({
      series: [
        { x, y: x.map((v) => (v < 25 ? 3 / v : 0.05)), label: 'train' },
        { x: [6, 12, 18, 24, 30, 36], y: [0.4, 0.2, 0.15, 0.12, 0.18, 0.2], label: 'valid' },
      ],
      vLines: [{ x: 24.5, label: 'unfrozen' }],
    });
    const label = /<text x="([\d.]+)" y="([\d.]+)"[^>]*>unfrozen<\/text>/.exec(losses)!.slice(1).map(Number);
    const legend = /<g font-size="11"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(losses)!.slice(1).map(Number);
    expect(label[1]).toBeLessThan(80);
    const [lx, ly, lw, lh] = legend;
    const overlapsLegend = label[0]! + 55 >= lx! && label[0]! - 55 <= lx! + lw! && label[1]! >= ly! && label[1]! - 11 <= ly! + lh!;
    expect(overlapsLegend).toBe(false);
  });

  it('writes a mark label beside its point, not over the curve, and inside the plot', () => {
    const x = Array.from({ length: 41 }, (_, i) => i / 4);
    const y = x.map((v) => 10 - v);
    for (const mx of [1, 5, 9.5]) {
      const svg = linePlotSvg({ series: [{ x, y }], marks: [{ x: mx, y: 10 - mx, label: 'min/10 3.6e-2' }] });
      const f = plotFrame({ xs: [...x, mx], ys: [...y, 10 - mx] });
      const [, tx, ty, anchor] = /<text x="([\d.]+)" y="([\d.]+)" font-size="11" fill="[^"]+" text-anchor="(start|end)">min\/10/.exec(svg)!;
      const [x0, x1] = anchor === 'start' ? [Number(tx), Number(tx) + 82] : [Number(tx) - 82, Number(tx)];
      expect(x0, `mark at ${mx}`).toBeGreaterThanOrEqual(f.left);
      expect(x1, `mark at ${mx}`).toBeLessThanOrEqual(f.right);
      // The falling line is above the point on its left and below it on its right.
      for (let v = 0; v <= 10; v += 0.05) {
        const px = f.sx(v);
        const py = f.sy(10 - v);
        const inside = px >= x0 && px <= x1 && py >= Number(ty) - 11 && py <= Number(ty) + 2;
        expect(inside, `mark at ${mx}: the line crosses its label at x=${v}`).toBe(false);
      }
    }
  });
});
