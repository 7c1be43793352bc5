// A tiny exported classifier and its image folder, made in the test (no ../shared model needed).
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { ImageDataset } from '@bears/data/node';
import { cnnLearner, customArch, exportLearner, unitStats } from '@bears/learner/node';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The learner's own test fixtures (colour-noise folders, a tiny conv body), loaded at run time so
// that neither package's type check has to compile the other's test files.
interface LearnerFixtures {
  makeImageFolder(options: { perClass?: number; size?: number }): Promise<string>;
  makeTinyModelFolder(): Promise<string>;
}
const fixtures = (): Promise<LearnerFixtures> => import(new URL('../../../learner/src/test-support/fixtures.ts', import.meta.url).href);

export function tempDir(prefix = 'bears-interpret-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/**
 * red/green/blue folder (12 images each, 40 px) with two planted problems: a blue image filed
 * under red (a label error) and an exact copy of a green image; plus a model trained on it.
 */
export async function tinyExport(): Promise<{ dataDir: string; modelDir: string; mislabeled: string; duplicate: [string, string] }> {
  await useBackend('wasm', { env: null });
  const { makeImageFolder, makeTinyModelFolder } = await fixtures();
  const dataDir = await makeImageFolder({ perClass: 12, size: 40 });
  await copyFile(path.join(dataDir, 'blue', '3.png'), path.join(dataDir, 'red', 'from-blue.png'));
  await copyFile(path.join(dataDir, 'green', '5.png'), path.join(dataDir, 'green', 'copy-of-5.png'));
  const body = await makeTinyModelFolder();
  const ds = await ImageDataset.fromFolder(dataDir, { validPct: 0.2, seed: 42, size: 32, normalize: unitStats });
  const learn = await cnnLearner(ds, { arch: customArch({ source: body, cut: 'feat', normalize: unitStats, inputSize: 32 }), batchSize: 8, modelDir: await tempDir(), log: () => {}, seed: 3 });
  await learn.fitOneCycle(2, 1e-2);
  const modelDir = path.join(await tempDir('bears-interpret-model-'), 'model');
  await mkdir(modelDir, { recursive: true });
  await exportLearner(learn, modelDir);
  learn.dispose();
  return { dataDir, modelDir, mislabeled: 'red/from-blue.png', duplicate: ['green/5.png', 'green/copy-of-5.png'] };
}
