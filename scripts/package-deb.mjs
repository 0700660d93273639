// dist/dfw_<version>_<arch>.deb (issue 20), built with dpkg-deb from dist/ and packaging/:
//   /usr/bin/dfw                                   the single executable (package-sea.mjs)
//   /usr/share/man/man1/dfw.1.gz                   dist/dfw.1 (scripts/man.mjs)
//   /usr/share/bash-completion/completions/dfw     dfw completion bash
//   /usr/share/zsh/vendor-completions/_dfw         dfw completion zsh
//   /usr/share/doc/dfw/                            README.md.gz, examples/, copyright, changelog.gz
// Depends is what dpkg-shlibdeps finds the executable linked against; the restore tools are
// Recommends (dfw prints their input, it never runs them).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { debianChangelog } from './package-changelog.mjs';
import { copyrightFile } from './package-copyright.mjs';
import { ARCH } from './package-sea.mjs';

export const MAINTAINER = 'dfw maintainers <dfw@example.org>';

function run(what, argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 300_000, ...opts });
  if (r.error?.code === 'ENOENT') throw new Error(`${what}: ${argv[0]} not found (apt-get install dpkg-dev)`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${argv.join(' ')}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The build's time: SOURCE_DATE_EPOCH, else the commit's, else now (a build outside git). */
export function buildTime(root) {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(epoch) && epoch > 0) return new Date(epoch * 1000);
  const git = spawnSync('git', ['-C', root, 'log', '-1', '--format=%ct'], { encoding: 'utf8', timeout: 10_000 });
  const t = Number(git.stdout?.trim());
  return git.status === 0 && t > 0 ? new Date(t * 1000) : new Date();
}

function put(staging, path, data, mode = 0o644) {
  const file = join(staging, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
  chmodSync(file, mode);
}

/** gzip -9n: no name, no time stamp (Node's gzip writes neither), as Debian wants. */
const gz = (data) => gzipSync(data, { level: 9 });

/** What dpkg-shlibdeps says the executable needs: "libc6 (>= 2.34), ...". */
function shlibDepends(staging) {
  // dpkg-shlibdeps reads debian/control of a source package; an empty one is enough here.
  const dir = join(dirname(staging), 'shlibdeps');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'debian'), { recursive: true });
  writeFileSync(join(dir, 'debian', 'control'), '');
  const out = run('dpkg-shlibdeps', ['dpkg-shlibdeps', '-O', `-e${join(staging, 'usr', 'bin', 'dfw')}`], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
  const m = /^shlibs:Depends=(.+)$/m.exec(out);
  if (!m) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends: ${out}`);
  return m[1].trim();
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The folders between `top` and `file`, `top` included. */
function ancestors(top, file) {
  const out = [];
  for (let d = dirname(file); d.length >= top.length; d = dirname(d)) out.push(d);
  return out;
}

function completion(exe, shell) {
  return run(`dfw completion ${shell}`, [exe, 'completion', shell]);
}

/** Lays out the package's files under `staging` (everything but DEBIAN/). */
function stageFiles(root, exe, staging, time) {
  const doc = 'usr/share/doc/dfw';
  put(staging, 'usr/bin/dfw', readFileSync(exe), 0o755);
  put(staging, 'usr/share/man/man1/dfw.1.gz', gz(readFileSync(join(root, 'dist', 'dfw.1'))));
  put(staging, 'usr/share/bash-completion/completions/dfw', completion(exe, 'bash'));
  put(staging, 'usr/share/zsh/vendor-completions/_dfw', completion(exe, 'zsh'));
  put(staging, `${doc}/README.md.gz`, gz(readFileSync(join(root, 'README.md'))));
  for (const [name, from] of [
    ['web.yaml', 'fixtures/policies/web.yaml'],
    ['classic.yaml', 'fixtures/policies/classic.yaml'],
    ['demo.yaml', 'fixtures/demo/policy.yaml'],
  ])
    put(staging, `${doc}/examples/${name}`, readFileSync(join(root, from)));
  put(staging, `${doc}/copyright`, copyrightFile(root));
  put(staging, 'usr/share/lintian/overrides/dfw', readFileSync(join(root, 'packaging', 'lintian-overrides')));
  put(staging, `${doc}/changelog.gz`, gz(debianChangelog(root, { maintainer: MAINTAINER, time })));
}

/** Builds the .deb from the executable; returns its path. */
export function buildDeb(root, exe) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dist = join(root, 'dist');
  const staging = join(dist, 'deb', 'root');
  rmSync(join(dist, 'deb'), { recursive: true, force: true });
  const time = buildTime(root);
  stageFiles(root, exe, staging, time);

  const files = walk(staging);
  // Installed-Size: KiB, each file rounded up, as dpkg-gencontrol counts.
  const kib = files.reduce((n, f) => n + Math.ceil(statSync(f).size / 1024), 0) + 1;
  const control = readFileSync(join(root, 'packaging', 'control.in'), 'utf8')
    .replace('@VERSION@', version)
    .replace('@ARCH@', ARCH.deb)
    .replace('@MAINTAINER@', MAINTAINER)
    .replace('@INSTALLED_SIZE@', String(kib))
    .replace('@DEPENDS@', shlibDepends(staging));
  put(staging, 'DEBIAN/control', control);
  const md5 = files
    .map((f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(staging, f)}\n`)
    .join('');
  put(staging, 'DEBIAN/md5sums', md5);
  // Folders 0755 whatever the umask (lintian: non-standard-dir-perm).
  for (const d of new Set(files.flatMap((f) => ancestors(staging, f)))) chmodSync(d, 0o755);

  const deb = join(dist, `dfw_${version}_${ARCH.deb}.deb`);
  rmSync(deb, { force: true });
  // gzip: 12 s here for the 88 MB executable (32 MB .deb), where xz, dpkg-deb's default, took
  // 190 s (22 MB), too long for CI; zstd (2 s) is refused by lintian (malformed-deb-archive).
  // --root-owner-group: every file root:root without fakeroot.
  run('dpkg-deb', ['dpkg-deb', '--root-owner-group', '-Zgzip', '-z6', '--build', staging, deb], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(Math.floor(time.getTime() / 1000)) },
  });
  if (!existsSync(deb)) throw new Error(`dpkg-deb wrote no ${deb}`);
  rmSync(join(dist, 'deb'), { recursive: true, force: true });
  return deb;
}
