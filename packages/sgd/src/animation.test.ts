import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { animationFrames, fitAnimationHtml, fitAnimationSvg, fitFrameSvg, lossCurveSvg } from './animation.js';
import { gradientDescent, makeLinearData, minibatchSgd, type LinearRun } from './from-scratch.js';
import { attrs, checkXml } from './xml.test-util.js';

const data = makeLinearData();
let run: LinearRun;
let short: LinearRun;

beforeAll(async () => {
  await useBackend('wasm', { env: null });
  run = await gradientDescent(data, { lr: 0.1, steps: 100 });
  short = await gradientDescent(data, { lr: 0.1, steps: 9 });
});

describe('animationFrames', () => {
  it('keeps every step of a short run and spreads maxFrames evenly over a long one', () => {
    expect(animationFrames(short).map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const f = animationFrames(run, 100);
    expect(f).toHaveLength(100);
    expect(f[0]!.step).toBe(0);
    expect(f[99]!.step).toBe(100);
    expect(animationFrames(run, 5).map((s) => s.step)).toEqual([0, 25, 50, 75, 100]);
    expect(() => animationFrames(run, 1)).toThrow(/maxFrames must be an integer >= 2, got 1/);
  });
});

describe('fitAnimationSvg', () => {
  it('is a well-formed, deterministic SMIL animation with one value per frame', () => {
    const svg = fitAnimationSvg(data, run, { frameMs: 50, holdFrames: 10 });
    expect(fitAnimationSvg(data, run, { frameMs: 50, holdFrames: 10 })).toBe(svg);
    const names = checkXml(svg);
    expect(names.filter((n) => n === 'circle')).toHaveLength(data.n);
    expect(svg).toContain('data-frames="100"');
    const anims = [...svg.matchAll(/<animate attributeName="(y1|y2)" dur="([\d.]+)s"[^>]*values="([^"]*)"/g)];
    expect(anims.map((m) => m[1])).toEqual(['y1', 'y2']);
    for (const m of anims) {
      expect(m[3]!.split(';')).toHaveLength(100 + 10);
      expect(Number(m[2])).toBeCloseTo((110 * 50) / 1000, 9);
    }
    // each frame's line matches the static frame for that step
    const frames = animationFrames(run, 100);
    const y1s = anims[0]![3]!.split(';');
    for (const k of [0, 1, 50, 99]) {
      const still = fitFrameSvg(data, frames[k]!);
      expect(attrs(still, 'line class="fit"', 'y1')[0]).toBe(y1s[k]);
    }
    // without SMIL (a static renderer) the line shows the final fit and the last caption
    expect(attrs(svg, 'line class="fit"', 'y1')[0]).toBe(y1s[99]);
    const captions = [...svg.matchAll(/<text class="caption"[^>]*visibility="(\w+)">([^<]*)<animate[^>]*keyTimes="([^"]*)"/g)];
    expect(captions).toHaveLength(100);
    expect(captions.filter((c) => c[1] === 'visible')).toHaveLength(1);
    expect(captions[99]![2]).toMatch(/^step 100 · a = \(3\.07\d, 2\.04\d\) · loss 0\.06\d\d$/);
    for (const c of captions) {
      const kt = c[3]!.split(';').map(Number);
      expect(kt[0]).toBe(0);
      for (let i = 1; i < kt.length; i++) expect(kt[i]).toBeGreaterThan(kt[i - 1]!);
      expect(kt[kt.length - 1]).toBeLessThanOrEqual(1);
    }
  });

  it('draws the true line dashed, and stays finite for a diverging run', async () => {
    const svg = fitAnimationSvg(data, short);
    expect(svg).toMatch(/stroke-dasharray="6 4"/);
    expect(fitAnimationSvg(data, short, { showTrue: false })).not.toMatch(/stroke-dasharray="6 4"/);
    const bad = await gradientDescent(data, { lr: 50, steps: 200 });
    const wild = fitAnimationSvg(data, bad);
    checkXml(wild);
    expect(wild).not.toMatch(/="[^"]*(NaN|Infinity)[^"]*"/);
  });

  it('rings the minibatch of each SGD update', async () => {
    const sgd = await minibatchSgd(data, { epochs: 2, batchSize: 10, seed: 5 });
    const svg = fitAnimationSvg(data, sgd);
    checkXml(svg);
    const groups = [...svg.matchAll(/<g class="batch"[^>]*>(.*?)<\/g>/g)];
    expect(groups).toHaveLength(20); // one per update; the initial guess has none
    for (const g of groups) expect(g[1]!.match(/<circle /g)).toHaveLength(10);
    expect(fitAnimationSvg(data, sgd, { showBatch: false })).not.toContain('class="batch"');
    expect(fitFrameSvg(data, sgd.history[3]!)).toContain('class="batch"');
    expect(fitAnimationSvg(data, run)).not.toContain('class="batch"');
  });

  it('rejects bad input', () => {
    expect(() => fitAnimationSvg(data, { history: [] } as never)).toThrow(/non-empty history/);
    expect(() => fitAnimationSvg({} as never, run)).toThrow(/expected LinearData/);
    expect(() => fitAnimationSvg(data, run, { frameMs: 0 })).toThrow(/frameMs must be > 0/);
  });
});

describe('loss curve and HTML page', () => {
  it('plots the loss per step, log scale when it spans decades', async () => {
    const svg = lossCurveSvg(run);
    checkXml(svg);
    expect(attrs(svg, 'path', 'd')).toHaveLength(1);
    expect(attrs(svg, 'path', 'd')[0]!.match(/[ML]/g)).toHaveLength(101);
    const three = await Promise.all([0.001, 0.1, 1.05].map((lr) => gradientDescent(data, { lr, steps: 50 })));
    const multi = lossCurveSvg(three);
    checkXml(multi);
    expect(multi).toContain('lr=0.001');
    expect(multi).toContain('lr=1.05');
    expect(multi).toContain('>1e4</text>'); // log axis for the diverging run
    const sgd = await minibatchSgd(data, { epochs: 2, batchSize: 20 });
    expect(attrs(lossCurveSvg(sgd, { showBatchLoss: true }), 'path', 'd')).toHaveLength(2);
  });

  it('writes a self-contained HTML page with the animation, the loss curve and the diagnosis', () => {
    const html = fitAnimationHtml(data, run);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const names = checkXml(html, { html: true });
    expect(names.filter((n) => n === 'svg')).toHaveLength(2);
    expect(html).not.toMatch(/<script|src=|href=/);
    const ids = attrs(html, 'clipPath', 'id');
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).toContain('Converged (lr=0.1)');
    expect(html).toContain('(3.0000, 2.0000)');
  });
});
