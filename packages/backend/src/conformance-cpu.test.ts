import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, registerBackend } from './index.js';
import { defineConformanceSuite } from './testing/index.js';

// The cpu backend is the suite's own reference, so this mostly proves the suite itself: every
// case runs, nothing leaks, the codec and the training run behave, finite differences agree.
registerBackend(cpuBackend);
defineConformanceSuite('cpu', { describe, it, beforeAll, expect }, { scale: 'small' });
