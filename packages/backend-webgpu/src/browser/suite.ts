// The conformance suite the browser pages run (and the vitest file names its tests after).
export { conformanceCases, runConformance } from '@bears/backend/testing';
