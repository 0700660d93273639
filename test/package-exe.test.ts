// Issue 20: the single executable (dist/dfw-linux-x64) behaves exactly like `node dist/dfw.cjs`
// on a host without Node: in a private mount namespace every node on PATH is covered by a file
// that fails, and the repository (dist/, node_modules) by an empty folder, then the CLI suite's
// commands run with the executable and with the npm build give the same bytes and exit codes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './support/cli.js';
import { FIXTURES, ROOT } from './support/fixtures.js';
import { inCI } from './support/netns.js';
import { EXE, ensurePackage } from './support/package.js';
import { scratch } from './support/scratch.js';

/** Why a mount namespace cannot be made here, or undefined. */
function unshareUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: unshare --mount needs root';
  const r = spawnSync('unshare', ['--mount', 'true'], { encoding: 'utf8' });
  if (r.error) return `unshare: ${r.error.message}`;
  return r.status === 0 ? undefined : `unshare --mount failed: ${r.stderr.trim()}`;
}

const reason = unshareUnavailable();
if (reason !== undefined && !inCI) console.warn(`SKIPPED package-exe: ${reason}`);
const describeRoot = reason === undefined || inCI ? describe : describe.skip;

/** The CLI suite's commands, one per line: `name|stdin|args` (stdin: a file, or empty for /dev/null). */
const COMMANDS = `
version||--version
help||--help
help-transform||transform --help
parse-v4||parse dump.v4
parse-ipset||parse sets.ipset
fmt-v4||fmt dump.v4
fmt-ipset||fmt sets.ipset
fmt-to-file||fmt dump.v4 -o out.v4
transform-full||transform dump.v4 -p policy.yaml
transform-stdin|dump.v4|transform -p policy.yaml
transform-noflush||transform dump.v4 -p policy.yaml --mode noflush
transform-check-differs||transform dump.v4 -p policy.yaml --check
transform-check-current||transform classic.v4 -p classic.yaml --check
transform-diff||transform dump.v4 -p policy.yaml --diff
transform-no-dump||transform -p policy.yaml --mode noflush --no-dump --family 4
transform-plugin||transform dump.v4 -p policy.yaml --plugin ./same.mjs
transform-plugin-throws||transform dump.v4 -p policy.yaml --plugin ./throws.mjs
strip-all||strip dump.v4 --all
strip-noflush||strip classic.v4 -p classic.yaml --mode noflush
ipset||ipset sets.ipset -p policy.yaml
ipset-incremental||ipset sets.ipset -p policy.yaml --mode incremental
ipset-check-current||ipset sets.ipset -p policy.yaml --check
ipset-check-differs||ipset other.ipset -p policy.yaml --check
bundle||bundle -p policy.yaml --out bundle
bundle-check||bundle -p policy.yaml --out bundle --check
diff-differs||diff dump.v4 classic.v4
diff-same|dump.v4|diff dump.v4 -
nft||nft ruleset.json -p nft.yaml --family 4
completion-bash||completion bash
completion-zsh||completion zsh
error-missing-file||transform missing.v4 -p policy.yaml
error-parse||fmt bad.v4
error-no-policy||transform dump.v4
error-unknown-command||trnasform dump.v4
error-bad-choice||transform dump.v4 -p policy.yaml --mode everything
`
  .trim()
  .split('\n')
  .map((l) => l.split('|') as [string, string, string]);

/** A bash script that runs every command with the dfw given as its arguments, into folder $1. */
function runner(): string {
  const lines = [
    'out=$1; shift',
    'rm -rf bundle out.v4',
    'c() { local n=$1 in=$2; shift 2; "$@" <"$in" >"$out/$n.stdout" 2>"$out/$n.stderr"; echo $? >"$out/$n.status"; }',
  ];
  for (const [name, stdin, args] of COMMANDS) lines.push(`c ${name} ${stdin || '/dev/null'} "$@" ${args}`);
  // What the commands wrote to files, as bytes.
  lines.push(
    'cat out.v4 >"$out/fmt-to-file.file"',
    'for f in $(find bundle -type f | sort); do echo "== $f"; cat "$f"; done >"$out/bundle.files"',
  );
  return `${lines.join('\n')}\n`;
}

/** Covers every node on PATH (and the one running the tests) and the repository, then runs the script. */
function hidingNode(stub: string): string {
  return [
    'set -e',
    `stub=${stub}`,
    'for d in $(printf %s "$PATH" | tr : " ") /usr/bin /usr/local/bin; do',
    '  for n in node nodejs; do if [ -e "$d/$n" ]; then mount --bind "$stub" "$d/$n"; fi; done',
    'done',
    `if [ -e ${realpathSync(process.execPath)} ]; then mount --bind "$stub" ${realpathSync(process.execPath)}; fi`,
    `mount -t tmpfs -o size=1m dfw-hidden ${ROOT}`,
    '{ node --version; echo "status $?"; ls -A ' +
      ROOT +
      '; echo "repository entries: $(ls -A ' +
      ROOT +
      ' | wc -l)"; } >"$1/../hidden" 2>&1 || true',
    'set +e',
    'bash ./run.sh "$@"',
  ].join('\n');
}

describeRoot('the single executable, with Node hidden (issue 20)', () => {
  const s = scratch('dfw-package-exe-');
  let work: string;
  let viaNode: string;
  let viaExe: string;

  beforeAll(() => {
    if (reason !== undefined) throw new Error(`the executable's test cannot run in CI: ${reason}`);
    ensurePackage();
    work = s.folder('work');
    viaNode = s.folder('node');
    viaExe = s.folder('exe');
    const copy = (from: string, to: string) => copyFileSync(join(FIXTURES, from), join(work, to));
    copy('iptables/docker29.nft.v4', 'dump.v4');
    copy('demo/policy.yaml', 'policy.yaml');
    copy('transform/classic/full.out', 'classic.v4');
    copy('transform/classic/policy.yaml', 'classic.yaml');
    copy('ipset/docker-allowlist.ipset', 'sets.ipset');
    copy('ipset/hash-ip.ipset', 'other.ipset');
    copy('nft/family4/input.json', 'ruleset.json');
    copy('nft/family4/policy.yaml', 'nft.yaml');
    writeFileSync(join(work, 'bad.v4'), '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j\nCOMMIT\n');
    writeFileSync(join(work, 'same.mjs'), 'export function transform(dump) { return dump; }\n');
    writeFileSync(join(work, 'throws.mjs'), "export function transform() { throw new Error('no'); }\n");
    writeFileSync(join(work, 'run.sh'), runner());
    writeFileSync(join(work, 'hide.sh'), hidingNode(join(work, 'no-node')));
    writeFileSync(join(work, 'no-node'), '#!/bin/sh\necho "node is hidden on this host" >&2\nexit 127\n', {
      mode: 0o755,
    });
    // Out of the repository, so that hiding it leaves the executable in place.
    copyFileSync(EXE, join(work, 'dfw'));
    const npm = spawnSync('bash', ['./run.sh', viaNode, process.execPath, CLI], { cwd: work, timeout: 300_000 });
    expect(npm.status, String(npm.stderr)).toBe(0);
    const exe = spawnSync('unshare', ['--mount', 'bash', './hide.sh', viaExe, './dfw'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(exe.status, exe.stderr).toBe(0);
  }, 600_000);

  it('node and the repository are out of reach in the namespace', () => {
    const hidden = readFileSync(join(viaExe, '..', 'hidden'), 'utf8');
    expect(hidden).toContain('node is hidden on this host');
    expect(hidden).toContain('status 127');
    expect(hidden).toContain('repository entries: 0');
  });

  it('ran every command on both sides, with the exit codes the CLI tests expect', () => {
    const status = (name: string) => readFileSync(join(viaNode, `${name}.status`), 'utf8').trim();
    expect(readdirSync(viaNode).filter((f) => f.endsWith('.status'))).toHaveLength(COMMANDS.length);
    for (const n of [
      'version',
      'parse-v4',
      'transform-full',
      'transform-check-current',
      'bundle',
      'diff-same',
      'nft',
      'ipset-check-current',
    ])
      expect(status(n), n).toBe('0');
    for (const n of ['transform-check-differs', 'diff-differs', 'ipset-check-differs']) expect(status(n), n).toBe('1');
    for (const n of [
      'error-missing-file',
      'error-parse',
      'error-no-policy',
      'error-unknown-command',
      'error-bad-choice',
      'transform-plugin-throws',
    ])
      expect(status(n), n).toBe('2');
    expect(readFileSync(join(viaNode, 'transform-full.stdout'), 'utf8')).toMatch(/-j DFW-demo/);
    expect(readFileSync(join(viaNode, 'bundle.files'), 'utf8')).toMatch(/== bundle\/rules\.v4/);
  });

  it.each(COMMANDS.map(([name, , args]) => [name, args]))('%s (dfw %s): same stdout, stderr and exit code', (name) => {
    for (const part of ['status', 'stdout', 'stderr']) {
      const file = `${name}.${part}`;
      expect(readFileSync(join(viaExe, file)), file).toEqual(readFileSync(join(viaNode, file)));
    }
  });

  it('the files the commands wrote (-o, bundle) are the same bytes', () => {
    for (const file of ['fmt-to-file.file', 'bundle.files'])
      expect(readFileSync(join(viaExe, file)), file).toEqual(readFileSync(join(viaNode, file)));
  });
});
