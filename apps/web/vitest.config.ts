import { defineConfig } from 'vitest/config';

// Kept apart from vite.config.ts so the site's build settings never leak into the test runner.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
    // Builds the site and trains its demo model once for all E2E files.
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
