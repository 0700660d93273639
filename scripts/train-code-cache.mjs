// Build step (run by scripts/bundle-cli.mjs, stdout discarded): loads dist/cli.cjs as the bin
// does, runs the commands a user runs most on a small real dump, so that V8 has compiled what
// they use, then writes dist/cli.cjs.cache. Functions the runs did not reach compile lazily as usual.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle, writeCodeCache } from '../dist/cli/code-cache.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'dist', 'cli.cjs');
const dump = join(root, 'fixtures', 'iptables', 'docker29.nft.v4');
const policy = join(root, 'fixtures', 'demo', 'policy.yaml');
const runs = [
  ['transform', dump, '--policy', policy],
  ['transform', dump, '--policy', policy, '--mode', 'noflush'],
  ['transform', dump, '--policy', policy, '--diff'],
  ['strip', dump, '--all'],
  ['fmt', dump],
];

const bundle = loadBundle(file, `${file}.cache.none`);
for (const argv of runs) {
  await bundle.exports.main(argv, { importModule: (url) => import(url) });
  if (process.exitCode) throw new Error(`training run failed: dfw ${argv.join(' ')} (exit ${process.exitCode})`);
}
const bytes = writeCodeCache(bundle, `${file}.cache`);
process.stderr.write(
  bytes > 0
    ? `dist/cli.cjs.cache: ${bytes} bytes of code cache\n`
    : 'no code cache: this Node has no zlib.crc32 (Node 20.15 or later); dfw starts slower\n',
);
