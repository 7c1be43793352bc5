// Plays the SMIL animation in headless Chromium and checks the line and caption at several times.
// Nothing here skips: no Chromium (apt-get install chromium, or BEARS_CHROMIUM) means it fails.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { animationFrames, fitAnimationHtml, fitAnimationSvg, fitFrameSvg } from './animation.js';
import { gradientDescent, makeLinearData, type LinearRun } from './from-scratch.js';
import { attrs } from './xml.test-util.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
function chromiumPath(): string {
  const p = process.env.BEARS_CHROMIUM ?? CANDIDATES.find((c) => existsSync(c));
  if (!p || !existsSync(p)) throw new Error(`Chromium not found (looked in ${CANDIDATES.join(', ')}): apt-get install -y chromium, or set BEARS_CHROMIUM`);
  return p;
}

const data = makeLinearData();
let run: LinearRun;
let browser: Browser | undefined;

beforeAll(async () => {
  await useBackend('wasm', { env: null });
  run = await gradientDescent(data, { lr: 0.1, steps: 100 });
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu'], timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
});

describe('fit animation in a browser', () => {
  it('moves the line and the caption frame by frame, then holds the final fit', async () => {
    const frameMs = 100;
    const holdFrames = 5;
    const page = await browser!.newPage();
    await page.setContent(fitAnimationHtml(data, run, { frameMs, holdFrames, maxFrames: 20 }));
    const frames = animationFrames(run, 20);
    const times = [0, 1, 7, 19].map((k) => ({ k, t: ((k + 0.5) * frameMs) / 1000 }));
    times.push({ k: 19, t: ((20 + holdFrames - 0.5) * frameMs) / 1000 }); // inside the hold
    for (const { k, t } of times) {
      const seen = await page.evaluate((time) => {
        const svg = document.querySelector('svg') as SVGSVGElement;
        svg.pauseAnimations();
        svg.setCurrentTime(time);
        const line = svg.querySelector('line.fit') as SVGLineElement;
        const visible = [...svg.querySelectorAll('text.caption')].filter((e) => getComputedStyle(e).visibility === 'visible');
        return { y1: line.y1.animVal.value, y2: line.y2.animVal.value, captions: visible.map((e) => e.textContent) };
      }, t);
      const still = fitFrameSvg(data, frames[k]!);
      expect(seen.y1, `y1 at t=${t}`).toBeCloseTo(Number(attrs(still, 'line class="fit"', 'y1')[0]), 1);
      expect(seen.y2, `y2 at t=${t}`).toBeCloseTo(Number(attrs(still, 'line class="fit"', 'y2')[0]), 1);
      expect(seen.captions).toEqual([expect.stringMatching(new RegExp(`^step ${frames[k]!.step} · `))]);
    }
    await page.close();
  });

  it('renders the standalone SVG with no errors', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.setContent(fitAnimationSvg(data, run));
    expect(await page.evaluate(() => document.querySelectorAll('svg circle').length)).toBe(data.n);
    expect(errors).toEqual([]);
    await page.close();
  });
});
