import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The repository, not this folder: paths below are relative to it.
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Files run in parallel (2 cores), the tests inside a file one after the other.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
