// Issue 20: the Debian package installs into a scratch root (dpkg --root), its dfw runs and its
// man page renders, and lintian finds no error in it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { inCI } from './support/netns.js';
import { DEB, ensurePackage } from './support/package.js';
import { scratch } from './support/scratch.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function debUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: dpkg --root installs as root';
  for (const t of ['dpkg', 'dpkg-deb', 'dpkg-shlibdeps', 'lintian', 'man'])
    if (!has(t)) return `${t} is not installed (apt-get install dpkg-dev lintian man-db)`;
  return undefined;
}

const reason = debUnavailable();
if (reason !== undefined && !inCI) console.warn(`SKIPPED package-deb: ${reason}`);
const describeDeb = reason === undefined || inCI ? describe : describe.skip;

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });

describeDeb('the Debian package (issue 20)', () => {
  const s = scratch('dfw-package-deb-');
  let root: string;

  beforeAll(() => {
    if (reason !== undefined) throw new Error(`the .deb test cannot run in CI: ${reason}`);
    ensurePackage();
    // An empty system: dpkg's database and nothing else (Depends forced: libc6 and the rest
    // are the host's own, which the installed dfw then runs with).
    root = s.folder('root');
    mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    const install = run(['dpkg', `--root=${root}`, '--force-depends', '--force-script-chrootless', '-i', DEB]);
    expect(install.status, install.stdout + install.stderr).toBe(0);
  }, 600_000);

  it('holds the executable, the man page, both completions and the docs, root-owned', () => {
    const list = run(['dpkg-deb', '-c', DEB]).stdout;
    for (const path of [
      ['-rwxr-xr-x', './usr/bin/dfw'],
      ['-rw-r--r--', './usr/share/man/man1/dfw.1.gz'],
      ['-rw-r--r--', './usr/share/bash-completion/completions/dfw'],
      ['-rw-r--r--', './usr/share/zsh/vendor-completions/_dfw'],
      ['-rw-r--r--', './usr/share/doc/dfw/copyright'],
      ['-rw-r--r--', './usr/share/doc/dfw/changelog.gz'],
      ['-rw-r--r--', './usr/share/doc/dfw/README.md.gz'],
      ['-rw-r--r--', './usr/share/doc/dfw/examples/web.yaml'],
    ])
      expect(list).toMatch(new RegExp(`^${path[0]} root/root .* ${path[1]!.replace(/\./g, '\\.')}$`, 'm'));
    expect(list).not.toMatch(/^\S+ (?!root\/root)/m);
  });

  it('Depends on the C and C++ runtime only, as dpkg-shlibdeps says; the restore tools are Recommends', () => {
    const control = run(['dpkg-deb', '-f', DEB, 'Depends', 'Recommends', 'Version', 'Architecture']).stdout;
    const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(control).toMatch(/^Depends: libc6 \(>= [\d.]+\), libgcc-s1 \(>= [\d.]+\), libstdc\+\+6 \(>= [\d.]+\)$/m);
    expect(control).toContain('Recommends: iptables | nftables, ipset');
    expect(control).toContain(`Version: ${version}`);
    expect(control).toContain('Architecture: amd64');
  });

  it("the installed dfw runs: --version is the npm build's (version and commit)", () => {
    const installed = run([join(root, 'usr/bin/dfw'), '--version']);
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stdout).toBe(dfw(['--version']).stdout);
    expect(installed.stdout).toMatch(/^\d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?\)\n$/);
    const status = run(['dpkg', `--root=${root}`, '-s', 'dfw']).stdout;
    expect(status).toMatch(/^Status: install ok installed$/m);
  });

  it('man -l renders the installed page without a warning: every section, every command', () => {
    const page = join(root, 'usr/share/man/man1/dfw.1.gz');
    const r = run(['man', '--warnings', '-l', page], { MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '100' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    for (const section of [
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'COMMANDS',
      'OPTIONS',
      'EXIT STATUS',
      'FILES',
      'EXAMPLES',
    ])
      expect(r.stdout).toMatch(new RegExp(`^${section}$`, 'm'));
    for (const command of ['transform', 'strip', 'ipset', 'bundle', 'nft', 'diff', 'parse', 'fmt', 'completion'])
      expect(r.stdout).toMatch(new RegExp(`^ {3}dfw ${command}\\b`, 'm'));
  });

  it('the copyright file is machine-readable (DEP-5) and names Node.js and every bundled npm package', () => {
    const copyright = readFileSync(join(root, 'usr/share/doc/dfw/copyright'), 'utf8');
    expect(copyright).toMatch(
      /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m,
    );
    for (const name of ['yargs', 'nearley', 'moo', 'yaml', 'diff', 'ipaddr.js'])
      expect(copyright).toMatch(new RegExp(`^Files: node_modules/${name.replace('.', '\\.')}/\\*$`, 'm'));
    expect(copyright).toMatch(/^License: Node\.js$/m);
    // Every paragraph is fields and continuation lines (one leading space), nothing else.
    for (const line of copyright.split('\n').filter((l) => l !== ''))
      expect(line, line).toMatch(/^([A-Z][\w-]*: |[ ])/);
  });

  it("changelog.gz is Debian's format, made from CHANGELOG.md", () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
    const text = gunzipSync(readFileSync(join(root, 'usr/share/doc/dfw/changelog.gz'))).toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(`dfw (${version}) unstable; urgency=medium`);
    expect(lines.at(-1)).toMatch(/^ -- .+ <[^>]+> {2}\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
    expect(text).toMatch(/^ {2}\[ Added \]$/m);
    expect(text).toContain('npm run package');
    for (const l of lines.slice(1, -1)) expect(l.length, l).toBeLessThanOrEqual(80);
  });

  it('lintian reports no error (warnings are printed)', () => {
    const r = run(['lintian', '--pedantic', '--no-tag-display-limit', DEB]);
    const tags = r.stdout.split('\n').filter((l) => /^[EWIPX]: /.test(l));
    if (tags.length > 0) console.warn(`lintian ${DEB}:\n${tags.join('\n')}`);
    expect(tags.filter((l) => l.startsWith('E: '))).toEqual([]);
    expect(r.status, r.stderr).toBe(0);
  }, 300_000);
});
