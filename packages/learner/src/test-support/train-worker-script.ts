import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Tests run the TypeScript sources, and a worker_thread cannot: compiles node/train-worker.ts (with the
 * learner sources it imports; packages stay imports) to one .mjs file the pool can start.
 */
export async function compiledTrainWorker(): Promise<URL> {
  // Under node_modules, so the bundle's package imports resolve as the sources' do.
  const outfile = fileURLToPath(new URL('../../node_modules/.bears-test/train-worker.mjs', import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL('../node/train-worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return pathToFileURL(outfile);
}
