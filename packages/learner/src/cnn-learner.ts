import { loadBody } from './archs.js';
import { LearnerError } from './errors.js';
import type { LearnerData } from './feature-cache.js';
import { Learner } from './learner.js';
import type { CnnLearnerOptions } from './learner-options.js';

/** Reads the dataset's image size if it exposes one. */
function dataSize(data: LearnerData): number | undefined {
  const d = data as unknown as { size?: unknown; options?: { size?: unknown } };
  const s = d.size ?? d.options?.size;
  return typeof s === 'number' ? s : Array.isArray(s) && typeof s[0] === 'number' ? (s[0] as number) : undefined;
}

/** fastai's cnn_learner: a pretrained body cut at its feature map, the fastai head, frozen to start. */
export async function cnnLearner(data: LearnerData, options: CnnLearnerOptions = {}): Promise<Learner> {
  if (!data || !Array.isArray(data.classes) || data.classes.length < 2) {
    throw new LearnerError(`cnnLearner: data must be a dataset with at least 2 classes (got ${data && Array.isArray(data.classes) ? `[${data.classes.join(', ')}]` : String(data)})`);
  }
  if (typeof data.loader !== 'function') throw new LearnerError('cnnLearner: data must have a loader(split, options) method (an @bears/data ImageDataset)');
  const body = await loadBody(options.arch ?? 'mobilenet_v1_0.75', {
    pretrained: options.pretrained ?? options.weights ?? true,
    inputSize: options.size ?? dataSize(data),
    cacheDir: options.cacheDir,
    ...(options.readModel ? { readModel: options.readModel } : {}),
  });
  return new Learner(data, body, options);
}
