import { defineConfig } from 'vitest/config';

// Kept apart from vite.config.ts so the site's build settings never leak into the test runner.
// Two projects: unit tests run alone; the E2E project builds the site and trains its demo model
// once (globalSetup) for all its files.
export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'e2e', include: ['e2e/**/*.test.ts'], globalSetup: ['e2e/global-setup.ts'], testTimeout: 240_000, hookTimeout: 120_000 },
      },
    ],
  },
});
