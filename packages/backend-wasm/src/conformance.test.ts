import { beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite } from '@bears/backend/testing';
import './index.js';

// The shared Bears conformance suite on the wasm backend (with its training kernels), against
// tfjs-backend-cpu as the reference.
defineConformanceSuite('wasm', { describe, it, beforeAll, expect }, { scale: 'small' });
