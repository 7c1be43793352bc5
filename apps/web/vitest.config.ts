import { defineConfig } from 'vitest/config';

// Kept apart from vite.config.ts so the site's build settings never leak into the test runner.
export default defineConfig({
  test: { include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 420_000, pool: 'forks', fileParallelism: false },
});
