// Bad ipset input: each case gives the line, column and message of the error, and through the
// CLI exit code 2 with nothing on stdout and `FILE:LINE:COL: message` on stderr.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// The package's bin, as users run it.
import { CLI as cli } from './support/cli.js';
import { DfwSyntaxError } from '../src/errors.js';
import { parseIpset } from '../src/ipset/index.js';

/** [input, line, column, message] */
const BAD: [string, number, number, string | RegExp][] = [
  ['create', 1, 7, 'unexpected end of line: expected a set name'],
  ['create s', 1, 9, /unexpected end of line: expected a set type \(hash:ip, /],
  ['create s hash:foo', 1, 10, /expected a set type .*found "hash:foo"/],
  [
    'create s hash:ip hashsise 1024',
    1,
    18,
    /expected an option \(family, hashsize, .*\) or end of line, found "hashsise" \(did you mean "hashsize"\?\)/,
  ],
  ['create s hash:ip hashsize', 1, 26, 'unexpected end of line: expected a value for hashsize'],
  ['create s hash:ip hashsize abc', 1, 27, 'hashsize must be a number (decimal or 0x-hex), found "abc"'],
  ['create s hash:ip hashsize 1024 hashsize 2048', 1, 41, 'hashsize already specified'],
  ['create s hash:ip timeout 010', 1, 26, /leading zero, which ipset reads as octal: write 8/],
  ['create s bitmap:ip', 1, 10, /bitmap:ip needs a range/],
  ['create s bitmap:ip range 10.0.0.0/8', 1, 26, /holds 16777216 elements: a bitmap holds at most 65536/],
  ['create s hash:ip family inet7', 1, 25, 'family must be inet or inet6, found "inet7"'],
  [
    'create s bitmap:port range 1-10 family inet',
    1,
    33,
    /expected an option \(range, timeout, counters, comment, skbinfo\) or end of line, found "family"/,
  ],
  [`create ${'a'.repeat(32)} hash:ip`, 1, 8, /is 32 bytes long \(at most 31\)/],
  ['create -x hash:ip', 1, 8, /must not start with "-"/],
  [
    'create s hash:ip\nadd s 10.0.0.1/33',
    2,
    7,
    /"\/33" is not a prefix length for inet \(1-32\) \(set s is hash:ip family inet\)/,
  ],
  ['create s hash:ip\nadd s 2001:db8::1', 2, 7, /IPv6 address, but the set is family inet/],
  ['create s hash:ip\nadd s host.example.com', 2, 7, /not an IP address .*dfw never does/],
  ['create s hash:ip\nadd s 10.0.0.0/8', 2, 7, /expands to 16777216 entries, more than the set can hold \(65536\)/],
  [
    'create s hash:ip\nadd s 10.0.0.1 comment "x"',
    2,
    24,
    'comment needs a set created with comment support (the set has none)',
  ],
  ['create s hash:ip\nadd s 10.0.0.1 nomatch', 2, 16, /nomatch is not an option of add for hash:ip/],
  ['create s hash:ip comment\nadd s 10.0.0.1 comment "unterminated', 2, 24, /missing close quote/],
  [
    'create s hash:ip comment\nadd s 10.0.0.1 comment ""',
    2,
    26,
    'unexpected end of line: expected a value for comment ("" is an empty value, which ipset restore reads as no value: "Missing mandatory argument")',
  ],
  ['create s hash:ip comment\nadd s 10.0.0.1 comment "" timeout 5', 2, 35, /found "5" \("" is an empty value/],
  ['create s hash:ip comment\nadd s 10.0.0.1 comment', 2, 23, 'unexpected end of line: expected a value for comment'],
  [
    `create s hash:ip comment\nadd s 10.0.0.1 comment ${'x'.repeat(256)}`,
    2,
    24,
    'comment is 256 bytes long (at most 255)',
  ],
  [
    'create s hash:ip,port\nadd s 10.0.0.1,ssh',
    2,
    7,
    /service name: dfw does not read \/etc\/services, write the port number \(22\)/,
  ],
  ['create s hash:ip,port\nadd s 10.0.0.1,gre:5', 2, 7, /protocol gre has no ports; write gre:0/],
  ['create s hash:ip,port\nadd s 10.0.0.1,icmpv6:echo-request', 2, 7, /ICMPv6 needs an inet6 set/],
  ['create s hash:net\nadd s 0.0.0.0/0', 2, 7, /not a prefix length for inet \(1-32\)/],
  ['create s hash:ip skbinfo\nadd s 1.1.1.1 skbmark 5', 2, 23, /skbmark must be 0xMARK or 0xMARK\/0xMASK/],
  ['create s bitmap:ip range 10.0.0.0/24\nadd s 10.0.1.1', 2, 7, /outside the set's range 10.0.0.0-10.0.0.255/],
  ['list', 1, 1, /found "list": "list" cannot be used in an ipset restore file/],
  [
    'sawp a b',
    1,
    1,
    /expected a command \(create, add, del, test, flush, destroy, rename, swap\) or end of line, found "sawp"/,
  ],
  ['COMMIT now', 1, 1, /COMMIT must be alone on its line/],
  ['create s hash:ip\nCOMMIT', 2, 1, /COMMIT on the last line needs a newline/],
  ['add s 1.2.3.4 -q', 1, 15, /dfw reads only -exist/],
  [`create s hash:ip${' counters'.repeat(28)}`, 1, 261, /at most 30 words/],
  [`create s hash:ip${' counters'.repeat(27)} `, 1, 260, /nothing may follow the 30th word/],
  [
    `create s hash:ip comment\nadd s 1.1.1.1 comment x${'y'.repeat(1100)}`,
    2,
    1024,
    /1123 bytes long: ipset restore reads at most 1023 bytes a line/,
  ],
  ['-exist', 1, 7, 'expected a command after -exist, found end of line'],
  ['swap a', 1, 7, /unexpected end of line: expected the name of the set to swap with/],
];

describe('bad ipset input', () => {
  it('has at least 15 cases', () => expect(BAD.length).toBeGreaterThanOrEqual(15));
  for (const [input, line, column, message] of BAD) {
    it(JSON.stringify(input).slice(0, 80), () => {
      let err: unknown;
      try {
        parseIpset(input, 'bad.ipset');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DfwSyntaxError);
      const e = err as DfwSyntaxError;
      expect([e.line, e.column]).toEqual([line, column]);
      if (typeof message === 'string') expect(e.reason).toBe(message);
      else expect(e.reason).toMatch(message);
      // One line, with the file position in front.
      expect(e.message).toBe(`bad.ipset:${line}:${column}: ${e.reason}`);
      expect(e.reason).not.toContain('\n');
    });
  }
});

// The CLI needs `npm run build` (dist/). It reads the dump as FILE.
describe('bad ipset input through dfw ipset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfw-ipset-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    'version: 1\nname: t\nexternal: [eth0]\nipsets:\n  s:\n    type: hash:ip\n    entries: [192.0.2.1]\n',
  );

  const run = (args: string[], input = '') =>
    spawnSync(process.execPath, [cli, 'ipset', ...args], { input, encoding: 'utf8' });

  BAD.forEach(([input, line, column], i) => {
    it(`exit 2, nothing on stdout: ${JSON.stringify(input).slice(0, 60)}`, () => {
      const file = join(dir, `bad${i}.ipset`);
      writeFileSync(file, input);
      const r = run([file, '-p', policy]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.startsWith(`${file}:${line}:${column}: `)).toBe(true);
    });
  });

  const badPolicies: [string, RegExp][] = [
    [
      '    entries: [2001:db8::1]\n',
      /ipsets\.s\.entries\[0\]: "2001:db8::1" is an IPv6 address, but the set is family inet/,
    ],
    ['    entries: ["10.0.0.1 comment \\"x\\""]\n', /comment support/],
    ['    entries: ["10.0.0.0/8"]\n', /expands to 16777216 entries/],
  ];
  for (const [entries, message] of badPolicies) {
    it(`exit 2 for a bad policy entry: ${entries.trim()}`, () => {
      const p = join(dir, 'bad-policy.yaml');
      writeFileSync(p, `version: 1\nname: t\nexternal: [eth0]\nipsets:\n  s:\n    type: hash:ip\n${entries}`);
      const r = run(['-', '-p', p]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });
  }

  it('exit 2 when the type of a live set would have to change', () => {
    const r = run(
      ['-', '-p', policy],
      'create s hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1\n',
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /set s is hash:net family inet on the host, but the policy wants hash:ip family inet: ipset cannot swap/,
    );
  });

  it('exit 2 for an iptables dump given as the current sets', () => {
    const r = run(['-', '-p', policy], '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/not an `ipset save` dump/);
  });
});
