// esbuild options every bundle of ours shares: the daemon (scripts/bundle.mjs) and the memory
// bench's stack floor (bench/memory.ts), so the floor is built exactly as what it is compared with.
export const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  keepNames: true,
  // koffi and sharp load their .node binaries by path; ws requires its optional native helpers
  // (bufferutil, utf-8-validate) only if they are installed.
  external: ['koffi', 'sharp', 'bufferutil', 'utf-8-validate'],
  // CommonJS dependencies call require(); an ES module has none, so the bundle makes one.
  banner: {
    js: "import { createRequire as __kvmr0ckRequire } from 'node:module'; const require = __kvmr0ckRequire(import.meta.url);",
  },
  logLevel: 'warning',
};
