// Bundles the CLI for a fast start (README.md "Performance"): dist/cli.cjs holds the whole CLI in one CommonJS
// file (Node resolves and loads one file instead of a few hundred), dist/cli.cjs.cache its V8
// code cache, and dist/dfw.cjs, the package's bin, loads the two (src/cli/code-cache.ts).
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = join(root, 'dist');
// No mangling: stack traces of internal errors keep their function names.
const minify = { mangle: false, compress: true, codegen: { removeWhitespace: true } };

// Every import of string-width but the stand-in's own goes to the stand-in (string-width.cjs).
const stringWidth = join(root, 'src', 'cli', 'string-width.cjs');
const lazyStringWidth = {
  name: 'lazy-string-width',
  resolveId: (source, importer) => (source === 'string-width' && importer !== stringWidth ? stringWidth : undefined),
};

// import.meta does not exist in CommonJS: code that reads import.meta.url gets the file's URL.
const importMetaUrl = {
  define: { 'import.meta.url': '__import_meta_url' },
  banner: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;',
};

// `dfw --version`: the bundle has no package.json beside it for yargs to read.
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// ... and the commit it is built from (issue 20): DFW_COMMIT when set (a build from a tarball),
// else git's HEAD, "-dirty" when tracked files differ from it; undefined without either.
function commit() {
  if (process.env.DFW_COMMIT) return process.env.DFW_COMMIT;
  const git = (...args) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', timeout: 10_000 });
  const head = git('rev-parse', '--short=12', 'HEAD');
  if (head.status !== 0) return undefined;
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout !== '';
  return `${head.stdout.trim()}${dirty ? '-dirty' : ''}`;
}

rmSync(join(dist, 'cli.cjs.cache'), { force: true });
await build({
  input: join(dist, 'cli', 'main.js'),
  platform: 'node',
  logLevel: 'warn',
  plugins: [lazyStringWidth],
  // yargs-parser needs import.meta.url (for createRequire); yargs reads import.meta.resolve
  // only for `extends` in a config file, which dfw does not use.
  transform: {
    define: {
      ...importMetaUrl.define,
      'import.meta.resolve': 'undefined',
      __DFW_VERSION__: JSON.stringify(version),
      __DFW_COMMIT__: JSON.stringify(commit() ?? null),
    },
  },
  output: { file: join(dist, 'cli.cjs'), format: 'cjs', codeSplitting: false, minify, banner: importMetaUrl.banner },
});
await build({
  input: join(dist, 'cli', 'bin.js'),
  platform: 'node',
  logLevel: 'warn',
  transform: { define: importMetaUrl.define },
  output: { file: join(dist, 'dfw.cjs'), format: 'cjs', codeSplitting: false, minify, banner: importMetaUrl.banner },
});
chmodSync(join(dist, 'dfw.cjs'), 0o755);

const train = spawnSync(process.execPath, [join(here, 'train-code-cache.mjs')], {
  stdio: ['ignore', 'ignore', 'inherit'],
  timeout: 120_000,
});
if (train.status !== 0) {
  process.stderr.write(
    `bundle: training the code cache failed (status ${train.status}${train.error ? `, ${train.error.message}` : ''})\n`,
  );
  process.exit(1);
}
