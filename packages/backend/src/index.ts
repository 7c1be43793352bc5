import './gradients.js';

export type { Availability, BackendCapabilities, BackendPlugin, DecodeOptions, ImageCodec, RgbImage, Runtime } from './types.js';
export { BackendUnavailableError, ImageDecodeError } from './errors.js';
export { detectRuntime, readEnv } from './runtime.js';
export { activeBackend, getBackendPlugin, listBackends, registerBackend, unregisterBackend, useBackend } from './registry.js';
export type { ActiveBackend, UseBackendOptions } from './registry.js';
export { codecForRuntime, registerCodec } from './codec.js';
export { notImageReason, sniffImageType, rgbToTensor, tensorToRgb } from './codec-shared.js';
export { cpuBackend } from './cpu.js';
