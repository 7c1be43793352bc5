// Manual check that `npm run dev` works with each backend: starts Vite's dev server, classifies
// three held-out bears on wasm, WebGL and WebGPU, and trains a head on wasm, in headless Chromium.
//   npx vite-node scripts/check-dev.ts            (BK=wasm,webgl to pick backends)
// Needs public/model (scripts/make-demo-model.sh); /body/ comes from public/body or ../shared.
import { createServer } from 'vite';
import { launchChromium } from '../../../packages/backend-webgpu/src/harness/chromium.js';
import { heldOut, photos } from '../e2e/photos.js';
import { APP_DIR as APP } from '../e2e/site.js';

const server = await createServer({ root: APP, configFile: `${APP}/vite.config.ts`, server: { port: 0, strictPort: false, host: '127.0.0.1' }, logLevel: 'warn' });
await server.listen();
const url = server.resolvedUrls!.local[0]!;
const browser = await launchChromium();
try {
  for (const backend of (process.env.BK ?? 'wasm,webgl,webgpu').split(',')) {
    const page = await browser.newPage();
    const errs: string[] = [];
    page.on('pageerror', (e) => errs.push(e.message));
    page.on('requestfailed', (r) => errs.push(`failed ${r.url()}`));
    page.on('response', (r) => {
      if (r.status() >= 400) errs.push(`${r.status()} ${r.url()}`);
    });
    const t0 = Date.now();
    await page.goto(`${url}?backend=${backend}#classify`);
    await page.waitForSelector('#page-classify[data-ready="true"], #page-classify[data-ready="error"]', { timeout: 240_000 });
    const status = await page.textContent('#classify-backend-status');
    const model = await page.textContent('#classify-model-status');
    const out: string[] = [];
    for (const cls of ['black', 'grizzly', 'teddy']) {
      await page.setInputFiles('#classify-file', heldOut(cls, 1));
      await page.waitForSelector('#classify-label[data-file]', { timeout: 240_000 });
      out.push(`${cls} -> ${await page.getAttribute('#classify-label', 'data-label')} (${await page.textContent('#classify-time')})`);
    }
    console.log(`[dev ${backend}] ${status}\n  ${model}\n  ${out.join('\n  ')}\n  ${Date.now() - t0} ms; errors: ${errs.join(' | ') || 'none'}`);
    await page.screenshot({ path: `${APP}/test-artifacts/dev-${backend}.png`, fullPage: true });
    await page.close();
  }
  const page = await browser.newPage();
  await page.goto(`${url}?backend=wasm#train`);
  await page.waitForSelector('#train-backend-status[data-backend="wasm"]', { timeout: 120_000 });
  for (const cls of ['black', 'grizzly', 'teddy']) await page.setInputFiles(`.class-card[data-class="${cls}"] input[type=file]`, photos(cls, 120, 130));
  await page.waitForFunction(() => [...document.querySelectorAll('.class-card .count')].every((e) => e.textContent === '10 photos'));
  await page.click('#train-start');
  await page.waitForSelector('#page-train[data-accuracy], #train-status.error', { timeout: 240_000 });
  console.log(`[dev train wasm] ${await page.textContent('#train-status')} accuracy ${await page.textContent('#train-accuracy')}`);
  await page.screenshot({ path: `${APP}/test-artifacts/dev-train.png`, fullPage: true });
} finally {
  await browser.close();
  await server.close();
}
