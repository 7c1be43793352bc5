import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserEntry, bundleEntries } from './bundle.js';
import { launchChromium } from './chromium.js';
import { serveStatic, type StaticServer } from './server.js';

export interface BrowserSession {
  readonly url: string;
  /** Opens `/<entry>.html` and waits until the entry sets `window.bearsReady`. */
  openPage(entry: string, options?: { initScript?: string }): Promise<HarnessPage>;
  close(): Promise<void>;
}

export interface HarnessPage {
  page: Page;
  /** Page errors and console errors/warnings so far, to attach to failures. */
  log(): string;
}

function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/**
 * Bundles the browser entries with esbuild, serves them, tfjs's .wasm binaries and any extra
 * in-memory `files` (URL path -> bytes) from a loopback HTTP server, and launches headless Chromium.
 */
export async function startBrowserSession(entries: string[], options: { files?: Map<string, Uint8Array | string> } = {}): Promise<BrowserSession> {
  const bundles = await bundleEntries(Object.fromEntries(entries.map((e) => [e, browserEntry(e)])));
  const files = new Map<string, Uint8Array | string>([...bundles, ...(options.files ?? [])]);
  for (const e of entries) files.set(`/${e}.html`, `<!doctype html><meta charset="utf-8"><title>${e}</title><link rel="icon" href="data:,"><script type="module" src="/${e}.js"></script>`);
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await serveStatic({ files, dirs: { '/wasm/': wasmDistDir() } });
    browser = await launchChromium();
  } catch (err) {
    await server?.close();
    throw err;
  }
  const srv = server;
  const br = browser;
  return {
    url: srv.url,
    async openPage(entry, options = {}) {
      const context = await br.newContext();
      const page = await context.newPage();
      const lines: string[] = [];
      page.on('pageerror', (err) => lines.push(`pageerror: ${err.stack ?? err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') lines.push(`console.${msg.type()}: ${msg.text()}`);
      });
      if (options.initScript) await page.addInitScript({ content: options.initScript });
      await page.goto(`${srv.url}${entry}.html`);
      try {
        await page.waitForFunction(() => (globalThis as Record<string, unknown>).bearsReady === true, undefined, { timeout: 60_000 });
      } catch (err) {
        throw new Error(`page ${entry} did not load: ${(err as Error).message}\n${lines.join('\n')}`);
      }
      return { page, log: () => lines.join('\n') };
    },
    async close() {
      await br.close().catch(() => undefined);
      await srv.close();
    },
  };
}
