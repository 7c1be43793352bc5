import sharp from 'sharp';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { animationFrames, fitAnimationSvg, fitFrameSvg, lossCurveSvg } from './animation.js';
import { gradientDescent, makeLinearData, type LinearRun } from './from-scratch.js';
import { plotFrame } from './plot.js';
import { fitAnimationGif, svgFramesToGif, svgToPng } from './png.js';

const data = makeLinearData();
let run: LinearRun;

beforeAll(async () => {
  await useBackend('wasm', { env: null });
  run = await gradientDescent(data, { lr: 0.1, steps: 100 });
});

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('svgToPng', () => {
  it('renders the animation (its final fit) and the loss curve at their SVG size, or scaled', async () => {
    const png = await svgToPng(fitAnimationSvg(data, run));
    expect(Array.from(png.subarray(0, 8))).toEqual(PNG_SIGNATURE);
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 480, height: 360 });
    const big = await svgToPng(lossCurveSvg(run), { scale: 2 });
    expect(await sharp(big).metadata()).toMatchObject({ width: 960, height: 600 });
  });

  it('draws the fitted line where the parameters put it', async () => {
    const last = run.history[run.history.length - 1]!;
    const png = await svgToPng(fitFrameSvg(data, last, { showTrue: false }));
    const { data: px, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    // Recompute the frame geometry the same way the animation does and sample the line at x = 0.5.
    const xs = Array.from({ length: data.n }, (_, i) => data.x[i * 2]!);
    const f = plotFrame({ width: 480, height: 360, xs, ys: Array.from(data.y), title: true, xLabel: true, yLabel: true });
    const cx = Math.round(f.sx(0.5));
    const cy = Math.round(f.sy(last.a[0]! * 0.5 + last.a[1]!));
    let red = 0;
    for (let dy = -2; dy <= 2; dy++) {
      const o = ((cy + dy) * info.width + cx) * info.channels;
      if (px[o]! > 180 && px[o + 1]! < 110 && px[o + 2]! < 110) red++;
    }
    expect(red).toBeGreaterThan(0);
  });

  it('says what is wrong with bad input', async () => {
    await expect(svgToPng('hello')).rejects.toThrow(/expected an SVG document string/);
    await expect(svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g></svg>')).rejects.toThrow(/could not be rendered/);
    await expect(svgToPng('<svg width="1" height="1"/>', { scale: 0 })).rejects.toThrow(/scale must be in \(0, 8\], got 0/);
  });
});

describe('animated GIF', () => {
  it('has one page per frame, the given delays, loops forever, and is deterministic', async () => {
    const gif = await fitAnimationGif(data, run, { maxFrames: 8, frameMs: 80, holdLastMs: 500, width: 240, height: 180 });
    const meta = await sharp(gif, { animated: true }).metadata();
    expect(meta.format).toBe('gif');
    expect(meta.pages).toBe(8);
    expect(meta.width).toBe(240);
    expect(meta.pageHeight).toBe(180);
    expect(meta.delay).toEqual([80, 80, 80, 80, 80, 80, 80, 580]);
    expect(meta.loop).toBe(0);
    expect(Buffer.from(await fitAnimationGif(data, run, { maxFrames: 8, frameMs: 80, holdLastMs: 500, width: 240, height: 180 })).equals(Buffer.from(gif))).toBe(true);
    // the first and last frames differ (the line moved)
    const page = async (p: number) => sharp(gif, { page: p }).raw().toBuffer();
    expect((await page(0)).equals(await page(7))).toBe(false);
    expect(animationFrames(run, 8)).toHaveLength(8);
  });

  it('rejects frames of different sizes', async () => {
    const a = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="red"/></svg>';
    const b = '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="10"><rect width="30" height="10" fill="blue"/></svg>';
    await expect(svgFramesToGif([a, b])).rejects.toThrow(/frame 1 is 30x10, frame 0 is 20x10/);
    await expect(svgFramesToGif([])).rejects.toThrow(/non-empty array/);
  });
});
