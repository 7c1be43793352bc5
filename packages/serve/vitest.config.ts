import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 180_000, pool: 'forks', globalSetup: ['src/test-support/global-setup.ts'] },
});
