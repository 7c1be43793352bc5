import { detectRuntime } from '@bears/backend';
import { LearnerError } from './errors.js';

/** The Node-only part (checkpoints, export folders, worker pools), by a specifier bundlers do not follow. */
export async function nodePart(what: string): Promise<typeof import('./node-parts.js')> {
  if (detectRuntime() !== 'node') throw new LearnerError(`${what} reads and writes folders, which needs Node; in browsers use exportToFiles(learner)`);
  const spec = './node-parts.js';
  return (await import(/* @vite-ignore */ spec)) as typeof import('./node-parts.js');
}
