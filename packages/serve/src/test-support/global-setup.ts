import type { TestProject } from 'vitest/node';
import { trainTestModel } from './fixtures.js';

declare module 'vitest' {
  export interface ProvidedContext {
    modelDir: string;
  }
}

/** Trains (or reuses) the test model once for every test file. */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('modelDir', await trainTestModel());
}
