// Issue 22, item 5 (and the bitmap:port part of item 16): a restore file dfw writes for ipset
// applies whole, or is refused before anything is written. Checked with the real `ipset restore`
// in a namespace: a set whose header changed must not leave the sets before it changed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseIpset } from '../src/ipset/parse.js';
import { reconcileIpsets } from '../src/ipset/reconcile.js';
import { loadPolicy } from '../src/policy/load.js';
import { dfw } from './support/cli.js';
import { describeNetns, Netns } from './support/netns.js';

const dir = mkdtempSync(join(tmpdir(), 'dfw-defects-ipset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

// On the host: a (two members), b (maxelem 1000). The policy changes a's members and b's maxelem.
const HOST =
  'create a hash:ip family inet hashsize 1024 maxelem 65536\nadd a 192.0.2.1\nadd a 192.0.2.2\ncreate b hash:ip family inet hashsize 1024 maxelem 1000\nadd b 192.0.2.3\n';
const POLICY = `version: 1
name: t
external: [eth0]
sources: [set:a, set:b]
ipsets:
  a: {type: hash:ip, entries: [192.0.2.1, 198.51.100.1]}
  b: {type: hash:ip, options: {maxelem: 2000}, entries: [192.0.2.3]}
`;
const policyFile = write('p.yaml', POLICY);
const saved = write('host.save', HOST);

describe('ipset restore files apply whole or are refused (issue 22 item 5)', () => {
  it.each(['flush', 'incremental'])(
    '--mode %s with a header change: exit 2, nothing written, the way out named',
    (mode) => {
      const out = join(dir, `out-${mode}`);
      const r = dfw(['ipset', saved, '-p', policyFile, '--mode', mode, '-o', out]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/set b: its header differs from the policy \(maxelem: 1000 → 2000\).*use --mode swap/);
      expect(() => readFileSync(out)).toThrow(/ENOENT/);
    },
  );

  it('--check sees a header-only difference in every mode (exit 1)', () => {
    const same = write(
      'same.save',
      'create a hash:ip family inet hashsize 1024 maxelem 65536\nadd a 192.0.2.1\nadd a 198.51.100.1\ncreate b hash:ip family inet hashsize 1024 maxelem 1000\nadd b 192.0.2.3\n',
    );
    for (const mode of ['swap', 'flush', 'incremental'])
      expect(dfw(['ipset', same, '-p', policyFile, '--mode', mode, '--check']).status).toBe(1);
  });

  it('flush mode without a dump: every create -exist comes before the first flush', () => {
    const text = reconcileIpsets(undefined, loadPolicy(POLICY, 'p.yaml').ipsets, 'flush').text;
    const lines = text.trim().split('\n');
    const firstOther = lines.findIndex((l) => !l.startsWith('create '));
    expect(lines.slice(0, firstOther)).toEqual([
      'create -exist a hash:ip family inet',
      'create -exist b hash:ip family inet maxelem 2000',
    ]);
    expect(lines.slice(firstOther).some((l) => l.startsWith('create'))).toBe(false);
  });

  it('a bitmap:port range is one add line, not 64,512 (item 16)', () => {
    const p = loadPolicy(
      'version: 1\nname: t\nexternal: [eth0]\nipsets:\n  bp: {type: "bitmap:port", options: {range: 0-65535}, entries: ["1024-65535", 80, 443, 444]}\n',
      'p.yaml',
    );
    expect(reconcileIpsets(undefined, p.ipsets, 'swap').text).toBe(
      'create bp bitmap:port range 0-65535\nadd bp 80\nadd bp 443-444\nadd bp 1024-65535\n',
    );
  });
});

describeNetns(
  'with the real ipset restore',
  () => {
    let ns: Netns;
    beforeAll(() => {
      ns = Netns.create('defects-ipset');
    });
    afterAll(() => ns?.delete());
    afterEach(() => {
      ns.run('ipset', ['destroy']);
    });
    const members = (set: string) =>
      parseIpset(ns.ok('ipset', ['save', set]), 'save')
        .lines.flatMap((l) => (l.kind === 'add' ? [l.entry] : []))
        .sort();

    it('the swap file changes both sets, the header included', () => {
      ns.ok('ipset', ['restore'], HOST);
      const r = dfw(['ipset', '-p', policyFile, '--mode', 'swap'], ns.ok('ipset', ['save']));
      expect(r.status).toBe(0);
      expect(ns.run('ipset', ['restore'], r.stdout).status).toBe(0);
      expect(members('a')).toEqual(['192.0.2.1', '198.51.100.1']);
      expect(ns.ok('ipset', ['save', 'b'])).toMatch(/maxelem 2000/);
      expect(dfw(['ipset', '-p', policyFile, '--check'], ns.ok('ipset', ['save'])).status).toBe(0);
    });

    it('a flush file written without the dump stops before changing any set', () => {
      ns.ok('ipset', ['restore'], HOST);
      const r = dfw(['ipset', '-p', policyFile, '--mode', 'flush'], '');
      expect(r.status).toBe(0);
      const restore = ns.run('ipset', ['restore'], r.stdout);
      expect(restore.status).not.toBe(0);
      expect(restore.stderr).toContain('set with the same name already exists');
      expect(members('a')).toEqual(['192.0.2.1', '192.0.2.2']);
    });

    it("the bundle's ipset.restore over that host stops before changing any set", () => {
      ns.ok('ipset', ['restore'], HOST);
      const out = join(dir, 'bundle');
      expect(dfw(['bundle', '-p', policyFile, '--out', out]).status).toBe(0);
      const restore = ns.run('ipset', ['restore'], readFileSync(join(out, 'ipset.restore'), 'utf8'));
      expect(restore.status).not.toBe(0);
      expect(members('a')).toEqual(['192.0.2.1', '192.0.2.2']);
      expect(members('b')).toEqual(['192.0.2.3']);
      // On a host without the sets (at boot) it loads whole.
      ns.ok('ipset', ['destroy']);
      expect(ns.run('ipset', ['restore'], readFileSync(join(out, 'ipset.restore'), 'utf8')).status).toBe(0);
      expect(members('a')).toEqual(['192.0.2.1', '198.51.100.1']);
    });

    it('a bitmap:port range loads as the range, and saves back as the policy says', () => {
      const p = write(
        'bp.yaml',
        'version: 1\nname: t\nexternal: [eth0]\nipsets:\n  bp: {type: "bitmap:port", options: {range: 0-65535}, entries: ["1024-65535", 80]}\n',
      );
      const r = dfw(['ipset', '-p', p], '');
      expect(r.stdout.split('\n').length).toBeLessThan(10);
      expect(ns.run('ipset', ['restore'], r.stdout).status).toBe(0);
      expect(members('bp')).toHaveLength(64513);
      expect(dfw(['ipset', '-p', p, '--check'], ns.ok('ipset', ['save'])).status).toBe(0);
    });
  },
  ['ipset'],
);
