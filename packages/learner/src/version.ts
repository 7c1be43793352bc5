import { readFileSync } from 'node:fs';

/** This package's version, written into exports and checkpoints. */
export const LIBRARY_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** Bumped on incompatible changes to exported model folders. */
export const EXPORT_FORMAT_VERSION = 1;
/** Bumped on incompatible changes to checkpoints. */
export const CHECKPOINT_FORMAT_VERSION = 1;
