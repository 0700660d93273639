// Issue 22, item 16 (policy parts): a type split by a YAML flow mapping is named as such, and
// items another item of the same list covers are a warning at their place.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy, policyWarnings } from '../src/policy/load.js';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dfw-defects-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a set type in a flow mapping (issue 22 item 16)', () => {
  it.each([
    ['{type: hash:ip,port}', 'hash:ip,port', 'a key port'],
    ['{type: hash:net,port, entries: []}', 'hash:net,port', 'a key port'],
    ['{type: hash:ip,port,ip}', 'hash:ip,port,ip', 'keys port, ip'],
  ])('%s: the hint to quote it, at the type', (set, type, keys) => {
    const text = `version: 1\nname: t\nexternal: [eth0]\nipsets:\n  s: ${set}\n`;
    expect(() => loadPolicy(text, 'p.yaml')).toThrow(
      `p.yaml:5:13: ipsets.s.type: in a flow mapping ({...}) a comma ends the value: this reads as type ${type.split(',')[0]} and ${keys}; quote the type: type: "${type}"`,
    );
  });
  it('quoted, it loads', () => {
    const text = 'version: 1\nname: t\nexternal: [eth0]\nipsets:\n  s: {type: "hash:ip,port"}\n';
    expect(loadPolicy(text, 'p.yaml').ipsets[0]!.type).toBe('hash:ip,port');
  });
});

describe('overlapping items (issue 22 item 16)', () => {
  const text = `version: 1
name: t
external: [eth0, eth+]
allow:
  - {name: web, proto: tcp, port: 8080, from: [192.0.2.0/24, 192.0.2.7, "2001:db8::/32", "2001:db8::1"]}
sources: [198.51.100.0/24, 198.51.100.128/25, 203.0.113.0/25, 203.0.113.128/25]
`;
  it('each covered item is named, with the item that covers it', () => {
    expect(policyWarnings(loadPolicy(text, 'p.yaml'))).toEqual([
      { path: ['external', 0], reason: 'eth0 is covered by eth+ (external[1]): its rules are redundant' },
      {
        path: ['allow', 0, 'from', 1],
        reason: '192.0.2.7/32 is inside 192.0.2.0/24 (allow[0].from[0]): its rules are redundant',
      },
      {
        path: ['allow', 0, 'from', 3],
        reason: '2001:db8::1/128 is inside 2001:db8::/32 (allow[0].from[2]): its rules are redundant',
      },
      {
        path: ['sources', 1],
        reason: '198.51.100.128/25 is inside 198.51.100.0/24 (sources[0]): its rules are redundant',
      },
    ]);
  });
  it('the CLI warns at the YAML position and still exits 0', () => {
    writeFileSync(join(dir, 'p.yaml'), text);
    const r = dfw(['transform', join(FIXTURES, 'iptables', 'docker29.legacy.v4'), '-p', join(dir, 'p.yaml')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('dfw: warning: ');
    expect(r.stderr).toMatch(/p\.yaml:3:\d+: external\[0\]: eth0 is covered by eth\+/);
    expect(r.stderr).toMatch(/p\.yaml:5:\d+: allow\[0\]\.from\[1\]: 192\.0\.2\.7\/32 is inside 192\.0\.2\.0\/24/);
  });
  it('disjoint items give no warning', () => {
    const ok = 'version: 1\nname: t\nexternal: [eth0, eth1, br+]\nsources: [192.0.2.0/25, 192.0.2.128/25]\n';
    expect(policyWarnings(loadPolicy(ok, 'p.yaml'))).toEqual([]);
  });
});

describe("the README's plugin works outside the repository (issue 22 item 16)", () => {
  it('copied to a folder with no dfw package above it, it loads and adds its rule', () => {
    const outside = mkdtempSync(join(tmpdir(), 'dfw-defects-plugin-'));
    try {
      const plugin = join(outside, 'log-before-drop.mjs');
      writeFileSync(plugin, readFileSync(join(FIXTURES, 'plugins', 'log-before-drop.mjs'), 'utf8'));
      const r = dfw(
        [
          'transform',
          join(FIXTURES, 'iptables', 'classic.nft.v4'),
          '-p',
          join(FIXTURES, 'policies', 'classic.yaml'),
          '--plugin',
          plugin,
        ],
        undefined,
        outside,
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('--comment "dfw:classic:log"');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
