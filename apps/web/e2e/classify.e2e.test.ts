import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { basename, join } from 'node:path';
import { cliPredict, heldOut } from './photos.js';
import { saveLog, screenshot, serveSite, type Site } from './site.js';

let site: Site;

beforeAll(async () => {
  site = await serveSite(inject('siteDir'));
});

afterAll(async () => {
  await site?.close();
});

describe('Classify page', () => {
  for (const backend of ['wasm', 'webgpu'] as const) {
    it(`labels real held-out bear photos on ${backend}, in the worker`, async () => {
      const { page, log } = await site.open('classify');
      try {
        await page.selectOption('#classify-backend', backend);
        await page.waitForSelector('#page-classify[data-ready="true"]', { timeout: 120_000 }).catch(async (err) => {
          throw new Error(`${(err as Error).message}\nstatus: ${await page.textContent('#classify-backend-status')} ${await page.textContent('#classify-model-status')}\n${log()}`);
        });
        expect(await page.getAttribute('#classify-backend-status', 'data-backend')).toBe(backend);
        const status = await page.textContent('#classify-backend-status');
        // Served cross-origin isolated, tfjs loads its threaded wasm build.
        if (backend === 'wasm') expect(status).toMatch(/threaded build, \d+ threads?/);
        for (const cls of ['grizzly', 'teddy'] as const) {
          await page.setInputFiles('#classify-file', heldOut(cls));
          await page.waitForSelector(`#classify-label[data-file="${basename(heldOut(cls))}"]`, { timeout: 120_000 }).catch(async (err) => {
            throw new Error(`${(err as Error).message}\n${await page.textContent('#classify-time')}\n${log()}`);
          });
          expect(await page.getAttribute('#classify-label', 'data-label')).toBe(cls);
          const probs = await page.$$eval('#classify-probs li', (lis) => lis.map((li) => [(li as HTMLElement).dataset.class!, Number((li as HTMLElement).dataset.probability)] as const));
          expect(probs).toHaveLength(3);
          expect(probs.reduce((a, [, p]) => a + p, 0)).toBeCloseTo(1, 3);
          // The same decode and preprocessing as `bears predict` in Node: the same probabilities.
          const [node] = cliPredict(join(inject('siteDir'), 'model'), [heldOut(cls)]);
          for (const [c, p] of probs) expect(p, `${cls} photo, p(${c}) browser vs CLI`).toBeCloseTo(node!.probabilities[c]!, 1);
          expect(await page.textContent('#classify-time')).toMatch(/Inference took \d+ ms/);
          await screenshot(page, `classify-${backend}-${cls}`);
        }
        // The page stayed responsive and the inference ran off the main thread.
        expect(await page.evaluate(() => typeof Worker)).toBe('function');
        // A file that is not an image gets a clear message, and the page still works.
        await page.setInputFiles('#classify-file', { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo') });
        await page.waitForFunction(() => document.querySelector('#classify-time')?.classList.contains('error'), undefined, { timeout: 60_000 });
        expect(await page.textContent('#classify-time')).toMatch(/Could not classify notes\.jpg/);
      } finally {
        saveLog(`classify-${backend}`, log());
        await page.context().close();
      }
    });
  }

  it('under auto shows what it chose and why others were skipped', async () => {
    const { page, log } = await site.open('classify', { width: 390, height: 844 });
    try {
      await page.waitForSelector('#page-classify[data-ready="true"]', { timeout: 120_000 });
      const status = (await page.textContent('#classify-backend-status'))!;
      expect(status).toMatch(/^Using (webgpu|webgl|wasm) \(chosen by auto/);
      // Headless Chromium has only software GPUs, which auto passes over with a reason.
      expect(await page.$$eval('#classify-skipped li', (lis) => lis.map((l) => l.textContent))).toEqual(
        expect.arrayContaining([expect.stringMatching(/^webgpu skipped: /)]),
      );
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

      // Keyboard only: Tab goes skip link, pages, backend picker, then the photo picker; Space opens it.
      const order: string[] = [];
      for (let i = 0; i < 12 && order[order.length - 1] !== 'classify-file'; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || ''));
      }
      expect(order).toEqual(['Skip to content', 'Classify', 'Train in the browser', 'SGD from scratch', 'classify-backend', 'classify-drop', 'classify-file']);
      // One retry: on a loaded 2-core CI machine a keypress once produced no chooser within 30 s.
      const openByKeyboard = async (timeout: number) => {
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('classify-file');
        const [c] = await Promise.all([page.waitForEvent('filechooser', { timeout }), page.keyboard.press('Space')]);
        return c;
      };
      const chooser = await openByKeyboard(20_000).catch(async () => {
        await page.focus('#classify-file');
        return openByKeyboard(60_000);
      });
      await chooser.setFiles(heldOut('teddy'));
      await page.waitForSelector('#classify-label[data-label]', { timeout: 60_000 });
      expect(await page.getAttribute('#classify-label', 'data-label')).toBe('teddy');
      // Every control on every page has an accessible name.
      const unnamed = await page.$$eval('input, select, button', (els) =>
        els.filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label') && !e.textContent?.trim()).map((e) => e.outerHTML),
      );
      expect(unnamed).toEqual([]);
      await screenshot(page, 'classify-auto-phone');
    } finally {
      saveLog('classify-auto', log());
      await page.context().close();
    }
  });
});
