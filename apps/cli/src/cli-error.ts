/** An expected failure: printed as one line `bears <cmd>: <message>` with a non-zero exit code, no stack. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Usage errors (bad flags, missing arguments) exit with 2, like most Unix tools. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}
