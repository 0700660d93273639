// npm run package (issue 20): after npm run build, the single executable dist/dfw-linux-x64
// (package-sea.mjs) and the Debian package dist/dfw_<version>_amd64.deb (package-deb.mjs).
//   node scripts/package.mjs [--if-stale] [--no-deb] [--no-cache]
//   --if-stale   do nothing when the artifacts are newer than what they are made from (the tests)
//   --no-deb     the executable alone
//   --no-cache   leave the code cache out of the executable (to measure what it brings)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDeb } from './package-deb.mjs';
import { ARCH, buildExecutable } from './package-sea.mjs';
import { isCurrent, writeStamp } from './package-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const withDeb = !argv.includes('--no-deb');
const cache = !argv.includes('--no-cache');
const artifacts = [
  join(root, 'dist', `dfw-linux-${ARCH?.exe}`),
  ...(withDeb ? [join(root, 'dist', `dfw_${version}_${ARCH?.deb}.deb`)] : []),
];
const t0 = Date.now();
try {
  if (argv.includes('--if-stale') && cache && isCurrent(root, artifacts)) {
    process.stderr.write('package: dist/ artifacts are current\n');
    process.exit(0);
  }
  const exe = await buildExecutable(root, { cache });
  const v = spawnSync(exe, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (v.status !== 0) throw new Error(`${exe} --version failed (exit ${v.status}): ${v.stderr}`);
  process.stderr.write(`${relative(root, exe)}: dfw ${v.stdout.trim()}\n`);
  if (withDeb) process.stderr.write(`${relative(root, buildDeb(root, exe))}\n`);
  if (cache) writeStamp(root, artifacts);
  process.stderr.write(`package: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
} catch (e) {
  process.stderr.write(`package: ${e.message}\n`);
  process.exit(1);
}
