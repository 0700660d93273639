import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Namespace tests share the kernel's netfilter state per namespace only, but the
    // machine has 2 cores: keep files in parallel, tests inside a file sequential.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
