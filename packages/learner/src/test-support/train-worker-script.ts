import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Tests run the TypeScript sources, and a worker_thread cannot: compiles node/<name>.ts (with the
 * learner sources it imports; packages stay imports) to one .mjs file a pool can start.
 */
async function compiledWorker(name: 'train-worker' | 'infer-worker'): Promise<URL> {
  // Under node_modules, so the bundle's package imports resolve as the sources' do.
  const outfile = fileURLToPath(new URL(`../../node_modules/.bears-test/${name}.mjs`, import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL(`../node/${name}.ts`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return pathToFileURL(outfile);
}

/** node/train-worker.ts, compiled for the training pool. */
export const compiledTrainWorker = (): Promise<URL> => compiledWorker('train-worker');

/** node/infer-worker.ts, compiled for the inference pool. */
export const compiledInferenceWorker = (): Promise<URL> => compiledWorker('infer-worker');
