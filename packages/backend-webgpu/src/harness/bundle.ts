import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Resolves a page entry next to this file: the .ts source under vitest, the compiled .js
 * when run from dist (the benchmark).
 */
export function browserEntry(name: string): string {
  for (const file of [`${name}.page.ts`, `${name}.ts`, `${name}.page.js`, `${name}.js`]) {
    const path = fileURLToPath(new URL(`../browser/${file}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`browser entry '${name}' not found next to ${fileURLToPath(import.meta.url)}`);
}

/** Bundles browser entries (ESM, one file each) into memory, keyed by URL path ('/name.js'). */
export async function bundleEntries(entries: Record<string, string>): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: entries,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/bundle',
    // @bears/backend's Node codec is behind a dynamic import that browsers never take.
    external: ['sharp'],
    logLevel: 'silent',
    sourcemap: false,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const out = new Map<string, Uint8Array>();
  for (const file of result.outputFiles) out.set(file.path.replace(/^\/bundle/, ''), file.contents);
  return out;
}
