import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start daemons and brokers on free ports; two cores do not gain from more.
    maxWorkers: 2,
    reporters: ['default'],
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
