/** Per-item predictions, as the core's `getPreds` returns them (probs n*c, features n*featureDim). */
export type { Preds } from '@bears/learner';

/** What the pixels of one image say, measured once per image (see `imageFacts`). */
export interface ImageFacts {
  width: number;
  height: number;
  /** Hash of the fully decoded pixels (and size): equal only for the exact same picture. */
  pixelHash: string;
  /** 64-bit DCT perceptual hash as 16 hex digits. */
  phash: string;
  /** Mean luminance 0..255, and its 5th and 95th percentiles. */
  brightness: number;
  darkP95: number;
  lightP05: number;
  /** Variance of the Laplacian of the grey thumbnail (low = blurry). */
  sharpness: number;
  /** Shannon entropy of the grey histogram, bits (low = little information). */
  entropy: number;
  /** Mean absolute difference between colour channels, 0..255 (about 0 = greyscale). */
  colourfulness: number;
}

export interface RankedItem {
  /** Path relative to the dataset root, POSIX separators, e.g. 'grizzly/x.jpg'. */
  file: string;
  label: string;
  split: 'train' | 'valid';
  /** The model's (out-of-sample) most likely class. */
  suggested: string;
  /** 0..1, higher = more suspicious (combined ranking). */
  score: number;
  reasons: string[];
  signals: Record<string, number>;
}

export interface DuplicateGroup {
  kind: 'exact' | 'near';
  files: string[];
  similarity: number;
  crossClass: boolean;
  crossSplit: boolean;
}

export interface DatasetRanking {
  version: 1;
  classes: string[];
  model?: { dir?: string; checksum?: string };
  /** Most suspicious first. */
  items: RankedItem[];
  duplicates: DuplicateGroup[];
  createdAt: string;
}

export interface Progress {
  phase: string;
  done: number;
  total: number;
}
export type OnProgress = (p: Progress) => void;
