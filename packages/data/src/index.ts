export { downloadImages } from './download.js';
export type { DownloadOptions, DownloadProgress, DownloadResult, DownloadStatus, DownloadSummary } from './download.js';
export { parseUrlList, readUrlList } from './url-list.js';
export { verifyImages } from './verify.js';
export type { VerifyAction, VerifyEntry, VerifyOptions, VerifyReport, VerifyVerdict } from './verify.js';
export { ImageDataset, formatSummary } from './dataset.js';
export type { ClassCount, CsvOptions, DatasetOptions, DatasetSummary, FolderOptions, SizeStats } from './dataset.js';
export { BatchLoader } from './loader.js';
export type { LoaderOptions } from './loader.js';
export type { Batch, Item, Split } from './types.js';
export { imagenetStats, inceptionStats, unitStats } from './normalization.js';
export type { Normalization } from './normalization.js';
export {
  augTransforms, augmentMatrix, centerParams, defaultAugment, isValidResize, noAugment, renderAugmented, resizeFit, sampleAugment,
  validResizes,
} from './transforms.js';
export type { AugmentOptions, AugmentParams, PadMode, ResizeMethod, ValidResize } from './transforms.js';
export { ImageLoadError, decodeAugmentedInto, decodeCenterInto, loadImageTensor } from './image.js';
export type { LoadImageOptions } from './image.js';
export { showBatch } from './show-batch.js';
export type { ShowBatchOptions, ShowBatchResult } from './show-batch.js';
export { splitByHash } from './split.js';
export { Rng, hashUnit } from './prng.js';
export { imageExtensions } from './files.js';
export { csvField, parseCsv } from './csv.js';
