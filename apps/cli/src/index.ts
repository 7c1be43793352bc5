// @bears/cli as a library: run the `bears` command in-process (tests, scripts) and get its exit code.
export { main, mainHelp } from './main.js';
export type { Streams } from './output.js';
