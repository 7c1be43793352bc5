import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCleaner, type CleanerServer } from './server.js';
import { photoDataset } from './test-support/fixtures.js';

/**
 * The project's Chromium launcher (Debian's /usr/bin/chromium or BEARS_CHROMIUM, offline flags), from
 * backend-webgpu's test harness; imported by path so this package's typecheck stays inside src/.
 */
async function launchChromium(): Promise<Browser> {
  const harness = fileURLToPath(new URL('../../../backend-webgpu/src/harness/chromium.ts', import.meta.url));
  return ((await import(harness)) as { launchChromium: () => Promise<Browser> }).launchChromium();
}

/** Screenshots land here (gitignored) to be looked at after a run. */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe('the cleaner in headless Chromium', () => {
  let browser: Browser;
  let server: CleanerServer;
  let ds: ReturnType<typeof photoDataset>;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ds = photoDataset(2);
    server = await startCleaner({ dataDir: ds.dir, ranking: ds.ranking });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  beforeEach(() => {
    problems.length = 0;
  });

  async function openPage(width = 1280, height = 900): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
    });
    await page.goto(server.url);
    await page.waitForFunction(() => (globalThis as { bearsReady?: boolean }).bearsReady === true, undefined, { timeout: 30_000 });
    return page;
  }
  const card = (page: Page, name: string) => page.locator('li.card', { has: page.locator('.name', { hasText: name }) });
  const counts = (page: Page) => page.locator('#counts').textContent();
  async function settle(page: Page, text: RegExp): Promise<void> {
    await page.locator('#counts').filter({ hasText: text }).waitFor({ timeout: 10_000 });
  }

  it('deletes, relabels, resolves a duplicate pair, undoes, and keeps the state over a reload', async () => {
    const [black0, , grizzly0] = ds.files;
    const dupOriginal = ds.ranking.duplicates[0]!.files[0]!;
    const dup = ds.ranking.duplicates[0]!.files[1]!;
    const page = await openPage();
    expect(await page.locator('li.card').count()).toBe(ds.files.length);
    expect(await counts(page)).toMatch(/^0 of 7 reviewed/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'clean-1-grid.png'), fullPage: true });

    // Delete with the keyboard: focus the card, press d.
    await card(page, black0!).focus();
    await page.keyboard.press('d');
    await settle(page, /^1 of 7 reviewed · 1 changed/);
    expect(await card(page, black0!).locator('.status').textContent()).toBe('Deleted (in the trash)');

    // Relabel with the class menu (the mouse road).
    await card(page, grizzly0!).locator('select[data-act="relabel"]').selectOption('teddy');
    await settle(page, /^2 of 7 reviewed · 2 changed/);
    const moved = `teddy/${path.posix.basename(grizzly0!)}`;
    expect(existsSync(path.join(ds.dir, moved))).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'clean-2-after-actions.png'), fullPage: true });

    // The duplicate pair: keep left (the original), which deletes the right one.
    await page.getByRole('button', { name: /^Duplicates/ }).click();
    await page.locator('li.dup').first().waitFor();
    expect(await page.locator('li.dup figure').count()).toBe(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'clean-3-duplicates.png'), fullPage: true });
    await page.getByRole('button', { name: /^Keep left/ }).click();
    await settle(page, /^4 of 7 reviewed · 3 changed/);

    // Undo one action: the relabel, from its card's Undo (keyboard u).
    await page.keyboard.press('g');
    await card(page, moved).waitFor();
    await card(page, moved).focus();
    await page.keyboard.press('u');
    await settle(page, /^3 of 7 reviewed · 2 changed/);
    expect(existsSync(path.join(ds.dir, grizzly0!))).toBe(true);

    // A reload (and a second tab) show the same state: it lives in the journal, not the page.
    await page.reload();
    await page.waitForFunction(() => (globalThis as { bearsReady?: boolean }).bearsReady === true);
    expect(await counts(page)).toMatch(/^3 of 7 reviewed · 2 changed \(2 deleted, 0 relabeled\)/);
    const tab2 = await openPage(390, 844);
    expect(await counts(tab2)).toBe(await counts(page));
    await card(tab2, dupOriginal).locator('[data-act="keep"]').click();
    await settle(tab2, /^3 of 7 reviewed/); // already kept by the pair: no change
    await tab2.screenshot({ path: path.join(ARTIFACTS, 'clean-4-phone.png'), fullPage: true });
    await card(tab2, ds.files[1]!).locator('[data-act="keep"]').click();
    await settle(page, /^4 of 7 reviewed/); // tab 1 sees tab 2's change by itself
    await page.screenshot({ path: path.join(ARTIFACTS, 'clean-5-reloaded.png'), fullPage: true });

    // Files on disk and cleaned.csv.
    expect(existsSync(path.join(ds.dir, '.bears-clean/trash', black0!))).toBe(true);
    expect(existsSync(path.join(ds.dir, black0!))).toBe(false);
    expect(existsSync(path.join(ds.dir, '.bears-clean/trash', dup))).toBe(true);
    expect(existsSync(path.join(ds.dir, dupOriginal))).toBe(true);
    expect(existsSync(path.join(ds.dir, moved))).toBe(false);
    const csv = readFileSync(path.join(ds.dir, 'cleaned.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('file,label');
    expect(csv.slice(1).sort()).toEqual(
      ds.files.filter((f) => f !== black0 && f !== dup).map((f) => `${f},${f.split('/')[0]}`).sort(),
    );
    expect(problems).toEqual([]);
  });

  it('works with the keyboard alone and labels controls for screen readers', async () => {
    const page = await openPage();
    // Every control has an accessible name; every image has alt text.
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('button, select, img')].filter((e) => {
        const el = e as HTMLElement;
        if (el.tagName === 'IMG') return !(el as HTMLImageElement).alt;
        return !(el.getAttribute('aria-label') || el.textContent?.trim() || el.closest('label'));
      }).length);
    expect(unnamed).toBe(0);
    expect(await page.locator('[aria-live]').count()).toBeGreaterThanOrEqual(2);
    // Arrow keys move between cards; ? opens the help.
    await page.locator('li.card').first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.index)).toBe('1');
    await page.keyboard.press('?');
    expect(await page.locator('#help').isVisible()).toBe(true);
    // A class filter keeps the decisions already made (they are on the server).
    await page.locator('#f-label').selectOption('black');
    await page.locator('#page-info').filter({ hasText: '· 2 images' }).waitFor();
    expect(await page.locator('li.card').count()).toBe(2);
    expect(await page.locator('li.card[data-decision="delete"]').count()).toBe(1);
    // Any change can be undone from the history too, whatever the filter shows.
    expect(await counts(page)).toMatch(/^4 of 7 reviewed/);
    await page.locator('#history button').first().click();
    await settle(page, /^3 of 7 reviewed/);
    // z undoes the newest change that can be undone: the duplicate pair (two files).
    await page.keyboard.press('z');
    await settle(page, /^1 of 7 reviewed/);
    expect(existsSync(path.join(ds.dir, ds.ranking.duplicates[0]!.files[1]!))).toBe(true);
    expect(problems).toEqual([]);
  });
});
