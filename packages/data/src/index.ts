// @bears/data root entry: Web-standard (no node:*, no sharp): in-memory datasets, the loader, the one
// preprocessing function, augmentation, seeded randomness. Folders, download and verify: '@bears/data/node'.
export { ImageDataset, formatSummary } from './dataset.js';
export type { ClassCount, CsvOptions, DatasetOptions, DatasetSummary, FolderOptions, MemoryItem, MemoryOptions, SizeStats } from './dataset.js';
export { BatchLoader, defaultConcurrency } from './loader.js';
export type { LoaderOptions } from './loader.js';
export type { Batch, Item, Split } from './types.js';
export { imagenetStats, inceptionStats, unitStats } from './normalization.js';
export type { Normalization } from './normalization.js';
export {
  augTransforms, augmentMatrix, centerParams, defaultAugment, isValidResize, noAugment, renderAugmented, resizeFit, sampleAugment,
  validResizes,
} from './transforms.js';
export type { AugmentOptions, AugmentParams, PadMode, ResizeMethod, ValidResize } from './transforms.js';
export { ImageLoadError, checkImageBytes, decodeAugmented, decodeForModel, preprocess } from './preprocess.js';
export type { PreprocessOptions } from './preprocess.js';
export { splitByHash } from './split.js';
export { Rng, hashUnit } from './prng.js';
export { imageExtensions } from './files.js';
export { parseUrlList } from './url-list.js';
export { fetchBytes, FetchError } from './fetch-bytes.js';
export type { FetchBytesOptions, FetchedBytes } from './fetch-bytes.js';
export { csvField, parseCsv } from './csv.js';
