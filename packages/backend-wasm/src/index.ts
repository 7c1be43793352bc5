import { registerBackend } from '@bears/backend';
import { wasmBackend } from './plugin.js';

// Importing the package registers the backend, as tfjs backends do.
registerBackend(wasmBackend);

export { wasmBackend, WASM_MEMORY_BUDGET, WASM_PRIORITY } from './plugin.js';
export { registerTrainingKernels } from './kernels/index.js';
