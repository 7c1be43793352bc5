import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { saveLog, screenshot, serveSite, type Site } from './site.js';

let site: Site;

beforeAll(async () => {
  site = await serveSite(inject('siteDir'));
});

afterAll(async () => {
  await site?.close();
});

async function readout(page: import('playwright-core').Page) {
  return page.locator('#sgd-readout').evaluate((el: HTMLElement) => ({ ...el.dataset }));
}

describe('SGD from scratch page', () => {
  it('plays the lesson fit and the loss falls to near the best fit', async () => {
    const { page, log } = await site.open('sgd');
    try {
      await page.waitForSelector('#page-sgd[data-ready="true"]', { timeout: 60_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await page.click('#sgd-step');
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#sgd-readout')?.dataset.step === '1');
      await page.click('#sgd-play');
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#sgd-readout')?.dataset.step) >= 40, undefined, { timeout: 60_000 });
      await screenshot(page, 'sgd-playing');
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#sgd-readout')?.dataset.done === 'true', undefined, { timeout: 60_000 });
      const r = await readout(page);
      expect(Number(r.step)).toBe(100);
      expect(Number(r.loss)).toBeLessThan(Number(r.firstLoss) / 10);
      expect(await page.getAttribute('#sgd-diagnosis', 'data-kind')).toBe('converged');
      expect(await page.locator('#sgd-fit svg line.fit').count()).toBe(1);
      expect(await page.locator('#sgd-loss svg').count()).toBe(1);
      await screenshot(page, 'sgd-lesson-done');
    } finally {
      saveLog('sgd-lesson', log());
      await page.context().close();
    }
  });

  it('diagnoses the too-high and too-low presets in the lesson words, at phone width, from the keyboard', async () => {
    const { page, log } = await site.open('sgd', { width: 390, height: 844 });
    try {
      await page.waitForSelector('#page-sgd[data-ready="true"]', { timeout: 60_000 });
      await page.focus('[data-preset="high"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#sgd-readout')?.dataset.done === 'true', undefined, { timeout: 60_000 });
      expect(await page.getAttribute('#sgd-diagnosis', 'data-kind')).toBe('lr-too-high');
      expect(await page.textContent('#sgd-diagnosis')).toMatch(/jumps right past the minimum/);
      await screenshot(page, 'sgd-too-high-phone');

      await page.focus('[data-preset="low"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#sgd-readout')?.dataset.done === 'true', undefined, { timeout: 60_000 });
      expect(await page.getAttribute('#sgd-diagnosis', 'data-kind')).toBe('lr-too-low');
      expect(await page.textContent('#sgd-diagnosis')).toMatch(/take forever/);
      const r = await readout(page);
      expect(Number(r.loss)).toBeLessThan(Number(r.firstLoss)); // right way, but slowly

      // Minibatch SGD from the select, then Reset back to step 0.
      await page.selectOption('#sgd-batch', '10');
      await page.click('#sgd-play');
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#sgd-readout')?.dataset.step) >= 5, undefined, { timeout: 60_000 });
      await page.click('#sgd-reset');
      expect((await readout(page)).step).toBe('0');
      // Nothing overflows sideways at phone width.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'sgd-too-low-phone');
    } finally {
      saveLog('sgd-presets', log());
      await page.context().close();
    }
  });
});
