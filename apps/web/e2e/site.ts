// E2E support: build the site with Vite's API, serve it with `vite preview` (the same COOP/COEP
// headers as hosting should send) on 127.0.0.1, and drive the project's headless Chromium.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { launchChromium } from '../../../packages/backend-webgpu/src/harness/chromium.js';

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(APP_DIR, '../..');
export const SHARED = resolve(REPO, '../shared');
/** Screenshots and page logs, kept after the run (gitignored). */
export const ARTIFACTS = join(APP_DIR, 'test-artifacts');

export async function buildSite(outDir: string): Promise<void> {
  await build({ root: APP_DIR, configFile: join(APP_DIR, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
}

export interface Site {
  url: string;
  browser: Browser;
  /** Opens a page of the site with its errors collected for failure messages. */
  open(hash: string, viewport?: { width: number; height: number }): Promise<{ page: Page; log: () => string }>;
  close(): Promise<void>;
}

export async function serveSite(outDir: string): Promise<Site> {
  const server: PreviewServer = await preview({
    root: APP_DIR,
    configFile: join(APP_DIR, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const { port } = server.httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    url,
    browser,
    async open(hash, viewport = { width: 1200, height: 900 }) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const lines: string[] = [];
      page.on('pageerror', (err) => lines.push(`pageerror: ${err.stack ?? err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') lines.push(`console.${msg.type()}: ${msg.text()}`);
      });
      await page.goto(`${url}#${hash}`);
      return { page, log: () => lines.join('\n') };
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export function saveLog(name: string, text: string): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, `${name}.log`), text);
}
