import { defineConfig } from 'vitest/config';

/** `npm run test:reliability`: load, fault and fuzz suites, run one file at a time (they load the machine). */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // Native addons (koffi) load once per process; see vitest.config.ts.
    isolate: false,
    // Lets the fuzz suites collect garbage before measuring the heap, so the figure is retained memory.
    execArgv: ['--expose-gc'],
    globalSetup: ['test/reliability/setup.ts'],
  },
});
