// Once per E2E run: build the site into a temporary folder, train its demo model there with the
// project's own `bears train` (a small subset of the lesson's bears, head only), and copy the
// MobileNet body for the Train page, as scripts/make-demo-model.sh does for a real build.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO, SHARED, buildSite } from './site.js';

/** Photos per class the test model trains on (the first ones by name); later ones are the held-out test photos. */
export const TRAIN_PER_CLASS = 30;

declare module 'vitest' {
  export interface ProvidedContext {
    siteDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const root = mkdtempSync(join(tmpdir(), 'bears-web-e2e-'));
  const site = join(root, 'site');
  const data = join(root, 'data');
  for (const c of ['black', 'grizzly', 'teddy']) {
    mkdirSync(join(data, c), { recursive: true });
    for (const f of readdirSync(join(SHARED, 'data/bears', c)).sort().slice(0, TRAIN_PER_CLASS)) symlinkSync(join(SHARED, 'data/bears', c, f), join(data, c, f));
  }
  const cli = join(REPO, 'apps/cli/dist/bin.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the CLI first (npx turbo run build --filter=@bears/web...)`);
  await buildSite(site);
  const body = join(SHARED, 'models/mobilenet_v1_0.75_224');
  execFileSync(process.execPath, [cli, 'train', data, '--out', join(site, 'model'), '--epochs', '4', '--unfreeze-epochs', '0', '--batch-size', '16', '--weights', body, '--backend', 'wasm'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300_000,
  });
  cpSync(body, join(site, 'body'), { recursive: true, filter: (src) => !src.endsWith('.md') });
  project.provide('siteDir', site);
  return () => rmSync(root, { recursive: true, force: true });
}
