// The single executable (issue 20): dist/dfw-linux-x64 is this Node's own binary, stripped of its
// debug symbols, with a Node "single executable application" blob injected by postject. The blob
// holds src/cli/sea.ts (bundled) as the main script and two assets, the bundled CLI
// (dist/cli.cjs) and its trained code cache (dist/cli.cjs.cache), which sea.ts runs the way the
// bin runs the files. Node's own SEA support and postject (the injector Node's documentation names)
// rather than a packager: nothing is downloaded, the runtime is exactly the Node the tests
// run on, and Node 20 has all it needs (assets, getAsset, disableExperimentalSEAWarning).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'rolldown';

/** Node's fuse string for SEA blobs (Node's documentation: "Single executable applications"). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function run(what, argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 300_000, ...opts });
  if (r.status !== 0)
    throw new Error(
      `${what} failed (${r.error?.message ?? `exit ${r.status}`}): ${argv.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`,
    );
  return r;
}

/** Node's architecture name as the executable's suffix and Debian's (amd64). */
export const ARCH = { x64: { exe: 'x64', deb: 'amd64' }, arm64: { exe: 'arm64', deb: 'arm64' } }[process.arch];

/**
 * Builds dist/dfw-linux-<arch> from dist/ (npm run build first); returns its path.
 * `cache: false` leaves the code cache out (for measuring what it brings).
 */
export async function buildExecutable(root, { cache = true } = {}) {
  if (process.platform !== 'linux' || ARCH === undefined)
    throw new Error(`the single executable is built on Linux x64 or arm64, not ${process.platform} ${process.arch}`);
  const dist = join(root, 'dist');
  const work = join(dist, 'sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (const f of ['cli.cjs', 'cli/sea.js', ...(cache ? ['cli.cjs.cache'] : [])])
    if (!existsSync(join(dist, f))) throw new Error(`dist/${f} missing: run npm run build first`);

  const entry = join(work, 'entry.cjs');
  await build({
    input: join(dist, 'cli', 'sea.js'),
    platform: 'node',
    logLevel: 'warn',
    output: { file: entry, format: 'cjs', codeSplitting: false },
  });
  const assets = {
    'cli.cjs': join(dist, 'cli.cjs'),
    ...(cache ? { 'cli.cjs.cache': join(dist, 'cli.cjs.cache') } : {}),
  };
  const blob = join(work, 'sea.blob');
  const config = join(work, 'sea-config.json');
  // useCodeCache stays off: sea.ts loads the trained cache, which holds what the commands run.
  writeFileSync(
    config,
    JSON.stringify({ main: entry, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, assets }),
  );
  run('making the SEA blob', [process.execPath, '--experimental-sea-config', config], { cwd: work });

  const exe = join(work, 'dfw');
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // Node's debug symbols are 12 MB of the binary; the dynamic symbols (for addons) stay.
  run('strip', ['strip', '--strip-unneeded', '--remove-section=.comment', exe]);
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  run('postject', [process.execPath, postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE]);
  const out = join(dist, `dfw-linux-${ARCH.exe}`);
  renameSync(exe, out);
  rmSync(work, { recursive: true, force: true });
  return out;
}
