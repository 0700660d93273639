// Scratch folders for tests that write files: one work folder per test file, removed after its
// tests, with a fresh numbered folder inside it for each test.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface Scratch {
  /** The work folder itself. */
  work: string;
  /** A new empty folder `<n>-<label>` in the work folder. */
  folder(label: string): string;
}

export function scratch(prefix: string): Scratch {
  const work = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  let n = 0;
  return {
    work,
    folder(label: string): string {
      const d = join(work, `${++n}-${label}`);
      mkdirSync(d);
      return d;
    },
  };
}
