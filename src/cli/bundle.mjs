// Bundles the CLI into one ES module (dist/dfw.mjs, the package's bin): a command starts in
// a fraction of the time Node needs to resolve and load a few hundred separate module files.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'dist', 'dfw.mjs');
await build({
  input: join(root, 'dist', 'cli', 'main.js'),
  platform: 'node',
  logLevel: 'warn',
  output: { file: out, format: "esm", codeSplitting: false, minify: { mangle: false, compress: true, codegen: { removeWhitespace: true } } },
});
chmodSync(out, 0o755);
