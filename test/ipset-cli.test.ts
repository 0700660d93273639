// dfw ipset's command line: outputs, --diff, --check, -o, warnings. Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// The package's bin, as users run it.
import { CLI as cli } from './support/cli.js';

const root = join(import.meta.dirname, '..');
const allowlist = join(root, 'fixtures', 'ipset', 'docker-allowlist.ipset');

describe('dfw ipset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfw-ipset-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'dfw.yaml');
  writeFileSync(
    policy,
    [
      'version: 1',
      'name: web',
      'external: [eth0]',
      'sources: [set:ipfriends, set:elsewhere]',
      'ipsets:',
      '  ipfriends:',
      '    type: hash:ip',
      '    options: {hashsize: 1024, maxelem: 65536}',
      '    entries: [203.0.113.7, 192.0.2.9]',
      '',
    ].join('\n'),
  );
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, [cli, 'ipset', ...args], { input: input ?? '', encoding: 'utf8' });

  it('prints the swap restore file by default, and warns about sets nobody defines', () => {
    const r = run([allowlist, '-p', policy]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'create ipfriends-dfwtmp hash:ip family inet hashsize 1024 maxelem 65536\nadd ipfriends-dfwtmp 203.0.113.7\nadd ipfriends-dfwtmp 192.0.2.9\nswap ipfriends ipfriends-dfwtmp\ndestroy ipfriends-dfwtmp\n',
    );
    expect(r.stderr).toBe(
      "dfw: warning: the policy's rules use set elsewhere, which neither its ipsets: section nor the current sets define\n",
    );
  });

  it('reads the current sets from stdin, and creates them when there are none', () => {
    expect(run(['-p', policy, '--mode', 'incremental'], readFileSync(allowlist, 'utf8')).stdout).toBe(
      'del -exist ipfriends 198.51.100.22\nadd -exist ipfriends 192.0.2.9\n',
    );
    expect(run(['-p', policy, '--mode', 'flush'], '').stdout).toBe(
      'create -exist ipfriends hash:ip family inet hashsize 1024 maxelem 65536\nflush ipfriends\nadd ipfriends 203.0.113.7\nadd ipfriends 192.0.2.9\n',
    );
  });

  it('--diff prints the member diff; --diff FILE writes it and the restore file as usual; -o writes the file', () => {
    const diff =
      '--- ipset (current)\n+++ ipset (policy)\n@@ -1,3 +1,3 @@\n create ipfriends hash:ip family inet\n-add ipfriends 198.51.100.22\n+add ipfriends 192.0.2.9\n add ipfriends 203.0.113.7\n';
    expect(run([allowlist, '-p', policy, '--diff']).stdout).toBe(diff);
    const d = join(dir, 'members.diff');
    const o = join(dir, 'restore.ipset');
    const r = run([allowlist, '-p', policy, '--diff', d, '-o', o, '--mode', 'incremental']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(d, 'utf8')).toBe(diff);
    expect(readFileSync(o, 'utf8')).toBe('del -exist ipfriends 198.51.100.22\nadd -exist ipfriends 192.0.2.9\n');
  });

  it('--check: 1 with the diff on stderr when something would change, 0 when nothing would', () => {
    const r = run([allowlist, '-p', policy, '--check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('+add ipfriends 192.0.2.9\n');
    const done =
      'create ipfriends hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000051\nadd ipfriends 192.0.2.9\nadd ipfriends 203.0.113.7\n';
    const ok = run(['-', '-p', policy, '--check'], done);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe('');
  });

  it('exit 2 for a bad mode or a missing policy, with nothing on stdout', () => {
    for (const args of [
      [allowlist, '-p', policy, '--mode', 'atomic'],
      [allowlist],
      [allowlist, '-p', join(dir, 'nope.yaml')],
    ]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
  });

  it('--help shows the modes and examples', () => {
    const r = spawnSync(process.execPath, [cli, 'ipset', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    // yargs wraps the examples to the terminal's width.
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('ipset save | dfw ipset --policy dfw.yaml');
    expect(r.stdout).toContain('--mode');
    expect(r.stdout).toContain('incremental');
  });
});
