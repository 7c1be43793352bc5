// @bears/data/node: everything of the root entry, plus the Node-only parts: folder and CSV datasets
// (ImageDataset here extends the root one with fromFolder/fromCsv/inspect), download, verify,
// showBatch to a PNG file, and the atomic file write.
export * from './index.js';
export { ImageDataset } from './dataset-node.js';
export { downloadImages } from './download.js';
export type { DownloadOptions, DownloadProgress, DownloadResult, DownloadStatus, DownloadSummary } from './download.js';
export { readUrlList } from './url-list-file.js';
export { verifyImages } from './verify.js';
export type { VerifyAction, VerifyEntry, VerifyOptions, VerifyReport, VerifyVerdict } from './verify.js';
export { loadImageTensor, readImageFile } from './image.js';
export type { LoadImageOptions } from './image.js';
export { showBatch } from './show-batch.js';
export type { ShowBatchOptions, ShowBatchResult } from './show-batch.js';
export { writeFileAtomic } from './fs-utils.js';
