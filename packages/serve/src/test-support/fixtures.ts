import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MOBILENET_DIR = path.join(SHARED, 'models/mobilenet_v1_0.75_224');
export const BEARS_DIR = path.join(SHARED, 'data/bears');
export const DIRTY_DIR = path.join(SHARED, 'data/bears-dirty');
/** The test model's input size: small, so forward passes in tests are quick. */
export const TEST_SIZE = 96;

/** Photos of a class (thumbnails, am_*), sorted; the first `skip` were used for training. */
export async function bearPhotos(cls: string, n: number, skip = 12): Promise<string[]> {
  const files = (await readdir(path.join(BEARS_DIR, cls))).filter((f) => f.startsWith('am_')).sort();
  return files.slice(skip, skip + n).map((f) => path.join(BEARS_DIR, cls, f));
}

export async function bearBytes(cls: string, i = 0, skip = 12): Promise<Uint8Array> {
  // A plain Uint8Array: Buffer.slice() would be a view, and tests that corrupt a copy would corrupt the original.
  return new Uint8Array(await readFile((await bearPhotos(cls, i + 1, skip))[i]!));
}

/**
 * A real `bears train`-style export: MobileNet body (../shared/models) with its head trained frozen
 * on 12 thumbnails per class (at 96 px for tests, 224 for the bench), written by @bears/learner's exportLearner. Cached in the OS
 * temp folder across runs (metadata.json is written last, so its presence means complete).
 */
export async function trainTestModel(size = TEST_SIZE): Promise<string> {
  const dir = path.join(tmpdir(), `bears-serve-test-model-v1-${size}`);
  if (existsSync(path.join(dir, 'metadata.json'))) return dir;
  await rm(dir, { recursive: true, force: true });
  await import('@bears/backend-wasm');
  const { useBackend } = await import('@bears/backend');
  const { ImageDataset } = await import('@bears/data/node');
  const { cnnLearner, exportLearner } = await import('@bears/learner/node');
  await useBackend('wasm', { env: null });
  const root = path.join(tmpdir(), `bears-serve-train-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  for (const cls of ['black', 'grizzly', 'teddy']) {
    await mkdir(path.join(root, cls), { recursive: true });
    const files = (await readdir(path.join(BEARS_DIR, cls))).filter((f) => f.startsWith('am_')).sort().slice(0, 12);
    for (const f of files) await symlink(path.join(BEARS_DIR, cls, f), path.join(root, cls, f));
  }
  const ds = await ImageDataset.fromFolder(root, { validPct: 0.25, seed: 42, size });
  // Seeded: the same model on every run, so tests that measure it (the float16 test's probability change) do not move.
  const learn = await cnnLearner(ds, { pretrained: MOBILENET_DIR, batchSize: 8, cacheViews: 1, seed: 42, modelDir: path.join(root, 'ckpt'), log: () => {} });
  await learn.fitOneCycle(3, 3e-3);
  const tmp = `${dir}.tmp-${process.pid}`;
  await exportLearner(learn, tmp);
  learn.dispose();
  await rm(dir, { recursive: true, force: true });
  const { rename } = await import('node:fs/promises');
  await rename(tmp, dir);
  await rm(root, { recursive: true, force: true });
  return dir;
}
