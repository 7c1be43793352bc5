export * from './clean/index.js';
