import { defineConfig } from 'vitest/config';

/**
 * `npm run test:security`: each attack from the security review, reproduced against the shipped
 * defaults (network namespaces for source addresses, Chromium for cross-origin pages, a real
 * broker), one file at a time; the attack table is printed at the end.
 */
export default defineConfig({
  test: {
    include: ['test/security/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    isolate: false,
    globalSetup: ['test/security/setup.ts'],
  },
});
