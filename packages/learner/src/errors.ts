/** A learner error meant for humans: says what went wrong and, where known, which file or value. */
export class LearnerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LearnerError';
  }
}

/** A model folder or checkpoint that cannot be used: corrupt, missing or from an incompatible version. */
export class ModelFileError extends LearnerError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'ModelFileError';
    this.file = file;
  }
}
