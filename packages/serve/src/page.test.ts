import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startServer } from './node/server.js';
import { bearPhotos, PACKAGE_ROOT } from './test-support/fixtures.js';

const CHROMIUM = process.env.BEARS_CHROMIUM ?? '/usr/bin/chromium';

describe('GET / in Chromium', () => {
  it('picking a photo shows the label and one bar per class', async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install chromium, or set BEARS_CHROMIUM`).toBe(true);
    const s = await startServer({ modelDir: inject('modelDir'), port: 0, host: '127.0.0.1', workers: 1, logs: false }, { signals: [] });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
      await page.goto(`http://127.0.0.1:${s.port}/`);
      await page.setInputFiles('#file', (await bearPhotos('grizzly', 1, 0))[0]!);
      await page.waitForSelector('#out h2', { timeout: 30_000 });
      expect(await page.textContent('#out h2')).toMatch(/^grizzly \(\d+\.\d%, \d+ ms\)$/);
      expect(await page.locator('#out .bar').count()).toBe(3);
      const shots = path.join(PACKAGE_ROOT, 'test-output');
      await mkdir(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'page.png') });
    } finally {
      await browser.close();
      await s.close();
    }
  });
});
