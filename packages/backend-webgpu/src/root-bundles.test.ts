// The six portable root entries bundle for browsers and Workers with no Node built-ins and no sharp.
// Bundles the built packages (dist), as an app would: run `npm run build` first.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PORTABLE = ['backend', 'backend-wasm', 'backend-webgpu', 'data', 'sgd', 'learner'];

describe('browser bundles of the root entries', () => {
  it.each(PORTABLE)('@bears/%s bundles with --platform=browser: zero errors, no node:*, no sharp', async (pkg) => {
    const res = await build({
      stdin: { contents: `import * as api from '@bears/${pkg}';\nglobalThis.api = api;\n`, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    expect(res.errors).toEqual([]);
    const inputs = Object.keys(res.metafile.inputs);
    expect(inputs.filter((p) => /node_modules\/(sharp|@img|detect-libc)\//.test(p))).toEqual([]);
    const imports = Object.values(res.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((p) => p.startsWith('node:') || p === 'sharp')).toEqual([]);
    const text = res.outputFiles.map((f) => f.text).join('\n');
    expect(text).not.toMatch(/(from|import\(|require\()\s*["']sharp["']/);
    expect(text).not.toMatch(/["']node:(fs|path|crypto|os)["']/);
  }, 120_000);
});
