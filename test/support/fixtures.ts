// Walks the fixture folders.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');

/** Every iptables-save fixture: [name, text]. */
export function iptablesFixtures(): [string, string][] {
  const dir = join(FIXTURES, 'iptables');
  return readdirSync(dir)
    .filter((f) => /\.v[46]$/.test(f))
    .sort()
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
}

/** The case folders of a golden-fixture folder (fixtures/transform, fixtures/bundle), sorted. */
export function caseDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}
