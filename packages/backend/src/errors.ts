/** Thrown when a named backend cannot start; `reason` says why, `install` what to do about it. */
export class BackendUnavailableError extends Error {
  readonly backend: string;
  readonly reason: string;
  readonly install?: string;
  constructor(backend: string, reason: string, install?: string) {
    super(`Backend '${backend}' cannot start: ${reason}${install ? `\n  To fix: ${install}` : ''}`);
    this.name = 'BackendUnavailableError';
    this.backend = backend;
    this.reason = reason;
    this.install = install;
  }
}

/** Thrown when bytes are not a decodable image: empty, truncated, HTML, unknown format. */
export class ImageDecodeError extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Cannot decode image: ${reason}`, options);
    this.name = 'ImageDecodeError';
    this.reason = reason;
  }
}
