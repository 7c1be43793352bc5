import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TRAIN_PER_CLASS } from './global-setup.js';
import { REPO, SHARED } from './site.js';

export const CLASSES = ['black', 'grizzly', 'teddy'] as const;

/** The k-th photo of a class by name, counted after the ones the test model trained on (held out). */
export function heldOut(cls: string, k = 0): string {
  const dir = join(SHARED, 'data/bears', cls);
  return join(dir, readdirSync(dir).sort()[TRAIN_PER_CLASS + 9 + k]!);
}

/** Photos [from, to) of a class by name. */
export function photos(cls: string, from: number, to: number): string[] {
  const dir = join(SHARED, 'data/bears', cls);
  return readdirSync(dir).sort().slice(from, to).map((f) => join(dir, f));
}

/** What the CLI (`bears predict --json`, Node, wasm) says about photos, to compare the browser with. */
export function cliPredict(modelDir: string, files: string[]): Array<{ file: string; label: string; probabilities: Record<string, number> }> {
  const out = execFileSync(process.execPath, [join(REPO, 'apps/cli/dist/bin.js'), 'predict', modelDir, ...files, '--json', '--backend', 'wasm'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').pop()!).predictions;
}
