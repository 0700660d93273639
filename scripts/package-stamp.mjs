// dist/package.stamp: a hash of what the packaged artifacts are made from, written by
// scripts/package.mjs after a build, so that `package.mjs --if-stale` (the tests) builds only when
// something changed. The code cache, retrained on every build, is left out: its header ties it to
// the bundle it was made from (src/cli/code-cache.ts).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const stampFile = (root) => join(root, 'dist', 'package.stamp');

export function inputsHash(root, artifacts) {
  const h = createHash('sha256');
  const files = [
    'dist/cli.cjs',
    'dist/cli/sea.js',
    'dist/dfw.1',
    'package.json',
    'README.md',
    'CHANGELOG.md',
    ...readdirSync(join(root, 'packaging')).map((f) => `packaging/${f}`),
    ...readdirSync(join(root, 'scripts'))
      .filter((f) => f.startsWith('package'))
      .map((f) => `scripts/${f}`),
  ];
  for (const f of files) h.update(f).update(readFileSync(join(root, f)));
  h.update(process.execPath).update(process.version).update(artifacts.join('\n'));
  return h.digest('hex');
}

export function isCurrent(root, artifacts) {
  const stamp = stampFile(root);
  return (
    artifacts.every((f) => existsSync(f)) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === inputsHash(root, artifacts)
  );
}

export function writeStamp(root, artifacts) {
  writeFileSync(stampFile(root), inputsHash(root, artifacts));
}
