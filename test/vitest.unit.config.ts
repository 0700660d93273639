// The unit tests: every test file that needs neither the built CLI (dist/) nor the kernel
// (network namespaces, the real restore tools). `npm run test:unit` runs them without the build
// (tsc and the bundle); only the grammar is compiled first. Files are chosen by what they import, so a new test lands on the right side
// without a list to keep.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));

/** What makes a test file need the build or root: the CLI helpers, namespaces, the lab, dist/. */
const NEEDS_BUILD_OR_KERNEL = /from '\.\/(support\/(cli|netns|dockerd|docker-workflows)|lab\/)|dist\/|child_process/;

const unit = readdirSync(here)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => !NEEDS_BUILD_OR_KERNEL.test(readFileSync(join(here, f), 'utf8')))
  .map((f) => `test/${f}`);

export default defineConfig({
  test: {
    // The repository, not this folder, as in vitest.config.ts.
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: unit,
    testTimeout: 60_000,
  },
});
