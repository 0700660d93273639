// `dfw exposure` on bad input: a clear message on stderr, exit 2, nothing on stdout. And what is
// not an error: a dump that matches sets without --ipsets answers unknown.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';

const DIR = mkdtempSync(join(tmpdir(), 'dfw-exposure-errors-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(DIR, name);
  writeFileSync(p, text);
  return p;
};

const D29 = 'fixtures/iptables/docker29.nft.v4';
const POLICY = 'fixtures/transform/docker29/policy.yaml';
const SIX = file('six.ipset', 'create six hash:ip family inet6\nadd six 2001:db8::1\n');

const CASES: { name: string; args: string[]; stdin?: string; message: RegExp }[] = [
  {
    name: 'two dumps and --policy',
    args: [D29, 'fixtures/iptables/docker27.nft.v4', '--policy', POLICY],
    message: /^dfw: two dumps and --policy: give two dumps to compare them, or one dump and --policy/,
  },
  {
    name: 'an --external that is no interface name',
    args: [D29, '--external', 'eth/0'],
    message: /--external "eth\/0": expected an interface name/,
  },
  {
    name: '--external naming a Docker bridge',
    args: [D29, '--external', 'docker0'],
    message: /--external docker0: that is a bridge the dump routes to containers, not an external interface/,
  },
  { name: '--external lo', args: [D29, '--external', 'lo'], message: /--external lo: that is the loopback/ },
  {
    name: '--external without a name',
    args: [D29, '--external'],
    message: /--external needs at least one interface name/,
  },
  {
    name: 'an ipset dump of the other family',
    args: [D29, '--ipsets', SIX],
    message: /six\.ipset: every set in it is IPv6, and the rules are IPv4/,
  },
  {
    name: '--diff with one dump and no policy',
    args: [D29, '--diff'],
    message: /--diff compares two exposures: give a second dump \(dfw exposure A B\) or --policy P/,
  },
  {
    name: '--ipsets twice for one dump',
    args: [D29, '--ipsets', SIX, '--ipsets', SIX],
    message: /--ipsets given 2 times for one dump: give it once/,
  },
  {
    name: '--ipsets three times for two dumps',
    args: [D29, D29, '--ipsets', SIX, '--ipsets', SIX, '--ipsets', SIX],
    message: /--ipsets given 3 times: give it once \(both dumps\) or twice/,
  },
  {
    name: '--family against the dump',
    args: [D29, '--family', '6'],
    message: /family 6 given, but the dump is an IPv4 dump/,
  },
  {
    name: 'an ipset dump as the rules',
    args: ['fixtures/ipset/hash-ip.ipset'],
    message: /hash-ip\.ipset: this is an ipset save dump; dfw exposure reads iptables-save output/,
  },
  { name: 'empty input', args: [], stdin: '', message: /<stdin>: empty input: expected an iptables-save dump/ },
  {
    name: '--host-address of the other family',
    args: [D29, '--host-address', '2001:db8::1'],
    message: /--host-address "2001:db8::1": expected one IPv4 address/,
  },
  {
    name: 'both dumps from stdin',
    args: ['-', '-'],
    stdin: '',
    message: /the dump and the second dump would both read stdin/,
  },
  {
    name: 'an iptables dump given as --ipsets',
    args: [D29, '--ipsets', D29],
    message: /docker29\.nft\.v4:2:1: expected a command \(create, add/,
  },
  {
    name: 'a dump with a syntax error',
    args: [],
    stdin: '-A INPUT -j DROP\n',
    message: /<stdin>:1:1: command outside a table: expected a \*table line first/,
  },
  {
    name: 'an unknown --format',
    args: [D29, '--format', 'yaml'],
    message: /Argument: format, Given: "yaml", Choices: "text", "json", "markdown"/,
  },
  {
    name: 'a policy file that is not there',
    args: [D29, '--policy', join(DIR, 'none.yaml')],
    message: /none\.yaml: cannot read: no such file or directory/,
  },
];

describe('dfw exposure: bad input is exit 2 with a clear message and nothing on stdout', () => {
  it('has at least 8 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(8));
  for (const c of CASES)
    it(c.name, () => {
      const r = dfw(['exposure', ...c.args], c.stdin ?? '');
      expect(r.stderr).toMatch(c.message);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    });
});

describe('not errors', () => {
  it('a dump that matches a set, without --ipsets: exit 0, the ports that depend on it unknown, the set rule named', () => {
    const r = dfw(['exposure', 'fixtures/transform/docker29/full.out']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^ {2}eth0: 203\.0\.113\.0\/24 may connect; unknown for every other source \(depends on filter DFW-web rule 5 \(line 30\): .*set ipfriends: no ipset dump given/m,
    );
  });

  it('a set the ipset dump does not hold is unknown too', () => {
    const r = dfw(['exposure', 'fixtures/transform/docker29/full.out', '--ipsets', 'fixtures/ipset/hash-net.ipset']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/unknown for every other source \(depends on .*set ipfriends is not in the ipset dump/);
  });

  it('a dump with no nat table: no published port, exit 0', () => {
    const r = dfw(['exposure'], '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no published port/);
  });
});
