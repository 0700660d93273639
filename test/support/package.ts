// The packaged artifacts for test/package-*.test.ts: dist/dfw-linux-x64 and the .deb, built by
// `npm run package` (CI runs it before the tests) or, when missing or older than what they are
// made from (scripts/package-stamp.mjs), by the first test that needs them (about 15 s of CPU).
// A lock keeps two test files that run at once from building them twice.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fixtures.js';

const DIST = join(ROOT, 'dist');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const EXE = join(DIST, 'dfw-linux-x64');
export const DEB = join(DIST, `dfw_${VERSION}_amd64.deb`);
const LOCK = join(DIST, '.package-lock');

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function lock(): void {
  // Bounded wait for another test file's build; a lock older than 10 minutes is a crashed run's.
  for (let i = 0; i < 900; i++) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 600_000) rmSync(LOCK, { recursive: true, force: true });
      sleep(1000);
    }
  }
  throw new Error(`${LOCK} held for 15 minutes`);
}

/** Builds the artifacts unless they are current; throws when the build fails. */
export function ensurePackage(): void {
  lock();
  try {
    // Without dpkg-dev the executable alone (its test runs; the .deb's skips, or fails in CI).
    const deb = ['dpkg-deb', 'dpkg-shlibdeps'].every(
      (t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status === 0,
    );
    const args = ['--if-stale', ...(deb ? [] : ['--no-deb'])];
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0) throw new Error(`node scripts/package.mjs failed (exit ${r.status}): ${r.stderr}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
