// npm run package (issue 20): after npm run build, the single executable dist/dfw-linux-x64
// (package-sea.mjs) and the Debian package dist/dfw_<version>_amd64.deb (package-deb.mjs).
//   node scripts/package.mjs [--no-deb] [--no-cache]
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDeb } from './package-deb.mjs';
import { buildExecutable } from './package-sea.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const t0 = Date.now();
try {
  const exe = await buildExecutable(root, { cache: !argv.includes('--no-cache') });
  const v = spawnSync(exe, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (v.status !== 0) throw new Error(`${exe} --version failed (exit ${v.status}): ${v.stderr}`);
  process.stderr.write(`${relative(root, exe)}: dfw ${v.stdout.trim()}\n`);
  if (!argv.includes('--no-deb')) {
    const deb = buildDeb(root, exe);
    process.stderr.write(`${relative(root, deb)}\n`);
  }
  process.stderr.write(`package: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
} catch (e) {
  process.stderr.write(`package: ${e.message}\n`);
  process.exit(1);
}
