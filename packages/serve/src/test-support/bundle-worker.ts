import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(path.join(PACKAGE_DIR, 'package.json'));

export interface WorkerBundle {
  /** Modules for Miniflare: the ES module first, then each .wasm as a CompiledWasm module. */
  modules: { type: 'ESModule' | 'CompiledWasm'; path: string; contents: Uint8Array }[];
  bytes: number;
}

/**
 * Bundles dist/workers/worker.js as wrangler does (esbuild, browser conditions, .wasm imports kept
 * as modules next to the script), for a real workerd via Miniflare.
 */
export async function bundleWorker(): Promise<WorkerBundle> {
  const wasm = new Map<string, string>();
  const plugin: Plugin = {
    name: 'workers',
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, (args) => {
        const file = require.resolve(args.path, { paths: [args.resolveDir] });
        const name = path.basename(file);
        wasm.set(name, file);
        return { path: `./${name}`, external: true };
      });
    },
  };
  const out = await build({
    entryPoints: [path.join(PACKAGE_DIR, 'dist/workers/worker.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    plugins: [plugin],
  });
  const script = out.outputFiles[0]!.contents;
  const modules: WorkerBundle['modules'] = [{ type: 'ESModule', path: 'worker.js', contents: script }];
  for (const [name, file] of wasm) modules.push({ type: 'CompiledWasm', path: name, contents: await readFile(file) });
  return { modules, bytes: modules.reduce((s, m) => s + m.contents.length, 0) };
}
