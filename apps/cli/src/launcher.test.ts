import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SHIM = fileURLToPath(new URL('../bin/bears.js', import.meta.url));
const ROOT_LAUNCHER = fileURLToPath(new URL('../../../bears', import.meta.url));

describe('the bears launchers (never resolved from the registry)', () => {
  it('./bears at the repository root and the bin shim run the built CLI', () => {
    expect(execFileSync(process.execPath, [ROOT_LAUNCHER, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(execFileSync(process.execPath, [SHIM, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('before the first build the shim says to build, instead of failing with a stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bears-shim-'));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(SHIM, join(dir, 'bin', 'bears.js'));
    copyFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), join(dir, 'package.json'));
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'bears.js'), 'train'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('bears: the CLI is not built yet: run `npm install && npm run build` in the repository root first\n');
  });
});
