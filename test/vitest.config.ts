import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The repository, not this folder: paths below are relative to it.
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Files run in parallel, the tests inside a file one after the other. Vitest's default is one
    // worker less than the cores, a single worker on the 2-core CI machine: the suite then ran
    // file after file (wall time = the sum of the files' times, 858 s). Most of that time is spent
    // waiting on packets, daemons and timeouts in namespaces, not on a core, and every such test
    // has namespaces, folders and locks of its own, so four files at a time are safe.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
