/** This package's version, written into exports and checkpoints (version.test.ts keeps it equal to package.json's). */
export const LIBRARY_VERSION = '0.1.0';

/** Bumped on incompatible changes to exported model folders. */
export const EXPORT_FORMAT_VERSION = 1;
/** Bumped on incompatible changes to checkpoints. */
export const CHECKPOINT_FORMAT_VERSION = 1;
