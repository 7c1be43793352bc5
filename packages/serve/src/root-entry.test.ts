import { build } from 'esbuild';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from './test-support/bundle-worker.js';

describe('entry points', () => {
  it('the root entry bundles for a browser: no node:*, no sharp, no process', async () => {
    const r = await build({ entryPoints: [path.join(PACKAGE_DIR, 'dist/index.js')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent', metafile: true });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((f) => /node:|\/sharp\/|hono\/node-server|\/dist\/node/.test(f))).toEqual([]);
    expect(inputs.some((f) => f.endsWith('dist/app.js'))).toBe(true);
  });
});
