import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start daemons and brokers on free ports; two cores do not gain from more.
    maxWorkers: 2,
    // Native addons (koffi) must load once per process: re-evaluating them for every test file in
    // a reused worker crashes it (napi_throw on a second load). Nothing here relies on module
    // state being fresh per file (no module singletons, no mocks).
    isolate: false,
    reporters: ['default'],
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
