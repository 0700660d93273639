// Issue 22, item 7 (and item 16's noflush counters): --mode noflush carries every change the full
// output carries, plugins' included, and a plugin's tagged rules do not pile up run after run.
// Checked on the real iptables-restore in a namespace: the state after a noflush apply is the
// state after a full apply, and an admin's rule in DOCKER-USER keeps its counters.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';
import { describeNetns, Netns, stripSaveDates } from './support/netns.js';

const dir = mkdtempSync(join(tmpdir(), 'dfw-defects-noflush-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const policy = join(dir, 'p.yaml');
writeFileSync(policy, 'version: 1\nname: t\nexternal: [eth0]\nallow:\n  - {name: web, proto: tcp, port: 8080}\n');
// A plugin that works outside the owned chain: a ban at the top of DOCKER-USER, a rule in nat,
// a chain of its own in filter, and a LOG in the owned chain; all tagged for the policy.
const plugin = join(dir, 'outside.mjs');
writeFileSync(
  plugin,
  `export function transform(dump, { policy, build: { rule, chain, match, opt, jump } }) {
  const tag = (n) => match('comment', opt('--comment', 'dfw:' + policy.name + ':' + n));
  const items = dump.items.map((t) => {
    if (t.kind !== 'table') return t;
    if (t.name === 'nat')
      return { ...t, body: [...t.body, rule('POSTROUTING', { options: [opt('-s', '192.0.2.0/24'), opt('-o', 'eth1')], matches: [tag('mark')], target: jump('MASQUERADE') })] };
    if (t.name !== 'filter') return t;
    const body = [...t.body];
    if (!body.some((s) => s.kind === 'chain' && s.name === 'BANS')) body.splice(body.findIndex((s) => s.kind === 'chain') + 1, 0, chain('BANS'));
    body.push(rule('BANS', { options: [opt('-s', '203.0.113.9/32')], matches: [tag('ban')], target: jump('DROP') }));
    const jumpAt = body.findIndex((s) => s.kind === 'rule' && s.chain === 'DOCKER-USER');
    body.splice(jumpAt, 0, rule('DOCKER-USER', { matches: [tag('bans')], target: jump('BANS') }));
    const drop = body.findIndex((s) => s.kind === 'rule' && s.chain === 'DFW-' + policy.name && s.spec.target?.name === 'DROP');
    body.splice(drop, 0, rule('DFW-' + policy.name, { options: [opt('-i', 'eth0')], matches: [tag('log')], target: jump('LOG') }));
    return { ...t, body };
  });
  return { ...dump, items };
}
`,
);
const DUMP = join(FIXTURES, 'iptables', 'docker29.legacy.v4');
const transform = (input: string, mode: string) =>
  dfw(['transform', '-', '-p', policy, '--plugin', plugin, '--mode', mode], input);

describe('noflush output with plugins (issue 22 item 7)', () => {
  it("carries the plugin's rules outside the owned chain, and its chains and tables", () => {
    const r = transform(readFileSync(DUMP, 'utf8'), 'noflush');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(':BANS - [0:0]\n');
    expect(r.stdout).toContain('-A BANS -s 203.0.113.9/32 -m comment --comment "dfw:t:ban" -j DROP\n');
    expect(r.stdout).toContain('-I DOCKER-USER -m comment --comment "dfw:t:bans" -j BANS\n');
    expect(r.stdout).toContain('-A DFW-t -i eth0 -m comment --comment "dfw:t:log" -j LOG\n');
    expect(r.stdout).toMatch(
      /\*nat\n-A POSTROUTING -s 192\.0\.2\.0\/24 -o eth1 -m comment --comment "dfw:t:mark" -j MASQUERADE\nCOMMIT\n/,
    );
  });

  it('a plugin rule between rules a chain keeps: refused in noflush (exit 2), --mode full named', () => {
    const middle = join(dir, 'middle.mjs');
    writeFileSync(
      middle,
      `export function transform(dump, { build: { rule, jump } }) {
  return { ...dump, items: dump.items.map((t) => {
    if (t.kind !== 'table' || t.name !== 'filter') return t;
    const body = [...t.body];
    body.splice(body.findIndex((s) => s.kind === 'rule' && s.chain === 'DOCKER-FORWARD') + 1, 0, rule('DOCKER-FORWARD', { target: jump('RETURN') }));
    return { ...t, body };
  }) };
}
`,
    );
    const r = dfw(['transform', DUMP, '-p', policy, '--plugin', middle, '--mode', 'noflush']);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/between rules the chain keeps: .*use --mode full/);
  });
});

describeNetns(
  'on the real iptables-restore',
  () => {
    it('noflush, twice, gives the state a full apply gives; no plugin rule piles up; the admin rule keeps its counters', () => {
      const full = Netns.create('defects-nf-full');
      const nf = Netns.create('defects-nf-noflush');
      try {
        const base = readFileSync(DUMP, 'utf8');
        for (const ns of [full, nf]) ns.ok('iptables-legacy-restore', ['-w'], base);
        // An admin's rule in DOCKER-USER, with counters, on the noflush host.
        nf.ok('iptables-legacy', ['-w', '-A', 'DOCKER-USER', '-s', '198.51.100.7/32', '-j', 'DROP']);
        nf.ok('iptables-legacy', ['-w', '-Z', 'DOCKER-USER']);
        nf.ok(
          'iptables-legacy-restore',
          ['-w', '--noflush', '--counters'],
          '*filter\n[7:420] -R DOCKER-USER 1 -s 198.51.100.7/32 -j DROP\nCOMMIT\n',
        );
        full.ok('iptables-legacy', ['-w', '-A', 'DOCKER-USER', '-s', '198.51.100.7/32', '-j', 'DROP']);
        for (let run = 1; run <= 2; run++) {
          const f = transform(full.ok('iptables-legacy-save', []), 'full');
          expect(f.status).toBe(0);
          full.ok('iptables-legacy-restore', ['-w'], f.stdout);
          const n = transform(nf.ok('iptables-legacy-save', []), 'noflush');
          expect(n.status).toBe(0);
          nf.ok('iptables-legacy-restore', ['-w', '--noflush'], n.stdout);
        }
        const rules = (ns: Netns) =>
          stripSaveDates(ns.ok('iptables-legacy-save', []))
            .split('\n')
            .filter(
              (l) =>
                l.startsWith('-A') ||
                l.startsWith('*') ||
                (l.startsWith(':') && !/^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) /.test(l)),
            )
            .join('\n');
        expect(rules(nf)).toBe(rules(full));
        const saved = nf.ok('iptables-legacy-save', []);
        for (const tag of ['ban', 'bans', 'mark', 'log']) expect(saved.split(`dfw:t:${tag}"`).length - 1).toBe(1);
        expect(nf.ok('iptables-legacy-save', ['-c'])).toContain('[7:420] -A DOCKER-USER -s 198.51.100.7/32 -j DROP');
      } finally {
        full.delete();
        nf.delete();
      }
    });
  },
  ['iptables-legacy-restore', 'iptables-legacy-save', 'iptables-legacy'],
);
