import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLASSES, cliPredict, heldOut, photos } from './photos.js';
import { unzipStored } from '../src/unzip.js';
import { ARTIFACTS, saveLog, screenshot, serveSite, type Site } from './site.js';

let site: Site;
let tmp = '';

beforeAll(async () => {
  site = await serveSite(inject('siteDir'));
  tmp = mkdtempSync(join(tmpdir(), 'bears-web-train-'));
});

afterAll(async () => {
  await site?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Train in the browser page', () => {
  it('trains a head on 8 photos per class, beats chance, predicts, and exports a model the CLI accepts', async () => {
    const { page, log } = await site.open('train');
    try {
      await page.waitForSelector('#page-train[data-ready="true"]', { timeout: 60_000 });
      await page.selectOption('#train-backend', 'wasm');
      await page.waitForSelector('#train-backend-status[data-backend="wasm"]', { timeout: 60_000 });
      expect(await page.isDisabled('#train-start')).toBe(true);
      // Photos the Classify test model never saw (indices 100..107 of each class).
      for (const cls of CLASSES) await page.setInputFiles(`.class-card[data-class="${cls}"] input[type=file]`, photos(cls, 100, 108));
      await page.waitForFunction(() => [...document.querySelectorAll('.class-card .count')].every((e) => e.textContent === '8 photos'), undefined, { timeout: 30_000 });
      expect(await page.isDisabled('#train-start')).toBe(false);
      await page.fill('#train-epochs', '6');
      await page.click('#train-start');
      await page.waitForSelector('#page-train[data-accuracy]', { timeout: 200_000 }).catch(async (err) => {
        throw new Error(`${(err as Error).message}\nstatus: ${await page.textContent('#train-status')}\n${log()}`);
      });
      const accuracy = Number(await page.getAttribute('#page-train', 'data-accuracy'));
      expect(accuracy, await page.textContent('#train-status') ?? '').toBeGreaterThan(1 / 3);
      expect(await page.locator('#train-loss svg').count()).toBe(1);
      const cells = await page.$$eval('#train-confusion td', (tds) => tds.map((td) => Number(td.textContent)));
      expect(cells).toHaveLength(9);
      expect(cells.reduce((a, b) => a + b, 0)).toBe(6); // every 4th photo of each class is held out
      await screenshot(page, 'train-done');

      await page.setInputFiles('#train-try', heldOut('teddy'));
      await page.waitForSelector('#train-try-result[data-label]', { timeout: 60_000 });
      expect(CLASSES).toContain(await page.getAttribute('#train-try-result', 'data-label'));

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
      expect(download.suggestedFilename()).toBe('bears-model.zip');
      mkdirSync(ARTIFACTS, { recursive: true });
      const zip = join(ARTIFACTS, 'bears-model.zip');
      await download.saveAs(zip);
      const files = unzipStored(new Uint8Array(readFileSync(zip)));
      expect(Object.keys(files).sort()).toEqual(['bears-model/metadata.json', 'bears-model/model.json', 'bears-model/weights.bin']);
      mkdirSync(join(tmp, 'bears-model'));
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(tmp, name), bytes);
      // The real CLI loads the browser's export (checksums, format version) and agrees with the page.
      const [p] = cliPredict(join(tmp, 'bears-model'), [heldOut('teddy')]);
      expect(p!.label).toBe(await page.getAttribute('#train-try-result', 'data-label'));
      await screenshot(page, 'train-tried');
    } finally {
      saveLog('train', log());
      await page.context().close();
    }
  });

  it('adds and removes a class from the keyboard, refuses bad input clearly, and fits a phone screen', async () => {
    const { page, log } = await site.open('train', { width: 390, height: 844 });
    try {
      await page.waitForSelector('#page-train[data-ready="true"]', { timeout: 60_000 });
      await page.focus('#train-new-class');
      await page.keyboard.type('panda');
      await page.keyboard.press('Enter');
      expect(await page.$$eval('.class-card', (els) => els.map((e) => (e as HTMLElement).dataset.class))).toEqual(['black', 'grizzly', 'teddy', 'panda']);
      await page.keyboard.type('panda');
      await page.keyboard.press('Enter');
      expect(await page.textContent('#train-status')).toMatch(/already a class 'panda'/);
      // A file that is not an image is left out with its reason; the class keeps its photos.
      await page.setInputFiles('.class-card[data-class="panda"] input[type=file]', [{ name: 'teddy.jpg', mimeType: 'image/jpeg', buffer: readFileSync(photos('teddy', 0, 1)[0]!) }, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }]);
      await page.waitForFunction(() => document.querySelector('.class-card[data-class="panda"] .count')?.textContent === '1 photo');
      expect(await page.textContent('#train-status')).toMatch(/Left out: notes\.txt is not an image/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'train-phone');
      await page.focus('.class-card[data-class="panda"] .remove');
      await page.keyboard.press('Enter');
      expect(await page.locator('.class-card').count()).toBe(3);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('train-new-class');
    } finally {
      saveLog('train-keyboard', log());
      await page.context().close();
    }
  });
});
