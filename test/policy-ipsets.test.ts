// Issue 13 acceptance: a set that ipset would refuse is refused when the policy is loaded, with
// the same `FILE:LINE:COL: path: message` from every command that loads a policy (transform,
// ipset, bundle) and from the library's loadPolicy; exit 2 and nothing on stdout. The library's
// reconcileIpsets, given the same set by hand, refuses it with the same `path: message`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DfwSyntaxError } from '../src/errors.js';
import { reconcileIpsets } from '../src/ipset/reconcile.js';
import { type SetSpec, resolveSetSpec } from '../src/ipset/set-spec.js';
import { loadPolicy } from '../src/policy/load.js';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';

const DUMP = join(FIXTURES, 'iptables', 'docker29.nft.v4');
const SETS = join(FIXTURES, 'ipset', 'empty.ipset');

/** Lines 1-5; the set's body starts on line 6, indented by four spaces. */
const HEAD = 'version: 1\nname: web\nexternal: eth0\nipsets:\n  s:\n';

interface Bad {
  what: string;
  /** The body of set `s`. */
  set: string;
  line: number;
  col: number;
  path: string;
  message: RegExp;
}

const BAD: Bad[] = [
  {
    what: 'bucketsize out of range',
    set: '    type: hash:ip\n    options:\n      bucketsize: 1000\n',
    line: 8,
    col: 19,
    path: 'ipsets.s.options.bucketsize',
    message: /^bucketsize 1000 is out of range \(0-255\)$/,
  },
  {
    what: 'range on a hash:ip',
    set: '    type: hash:ip\n    options: {range: "10.0.0.0/16"}\n',
    line: 7,
    col: 15,
    path: 'ipsets.s.options.range',
    message: /^range is not an option of hash:ip \(it takes: hashsize, maxelem, netmask, bitmask,/,
  },
  {
    what: 'netmask on a type without it',
    set: '    type: hash:net\n    options:\n      netmask: 24\n',
    line: 8,
    col: 7,
    path: 'ipsets.s.options.netmask',
    message: /^netmask is not an option of hash:net/,
  },
  {
    what: 'netmask too long for the family',
    set: '    type: hash:ip\n    family: inet\n    options: {netmask: 64}\n',
    line: 8,
    col: 24,
    path: 'ipsets.s.options.netmask',
    message: /^"\/64" is not a prefix length for inet \(1-32\)$/,
  },
  {
    what: 'bad entry address',
    set: '    type: hash:ip\n    entries: [192.0.2.1, 192.0.2.300]\n',
    line: 7,
    col: 26,
    path: 'ipsets.s.entries\\[1\\]',
    message: /^"192\.0\.2\.300" is not a valid IPv4 address/,
  },
  {
    what: 'entry of the wrong family',
    set: '    type: hash:ip\n    family: inet6\n    entries:\n      - 192.0.2.1\n',
    line: 9,
    col: 9,
    path: 'ipsets.s.entries\\[0\\]',
    message: /^"192\.0\.2\.1" is an IPv4 address, but the set is family inet6$/,
  },
  {
    what: 'a port entry on a hash:ip',
    set: '    type: hash:ip\n    entries: ["192.0.2.1,80"]\n',
    line: 7,
    col: 15,
    path: 'ipsets.s.entries\\[0\\]',
    message: /^"192\.0\.2\.1,80" has more than one part, but a hash:ip element is one/,
  },
  {
    what: 'a hash:ip,port entry without a port',
    set: '    type: hash:ip,port\n    entries: [192.0.2.1]\n',
    line: 7,
    col: 15,
    path: 'ipsets.s.entries\\[0\\]',
    message: /^"192\.0\.2\.1" is not IP,\[PROTO:\]PORT$/,
  },
  {
    what: 'maxelem 0',
    set: '    type: hash:ip\n    options: {maxelem: 0}\n',
    line: 7,
    col: 24,
    path: 'ipsets.s.options.maxelem',
    message: /^maxelem 0: the set could never hold a member$/,
  },
  {
    what: 'maxelem over 32 bits',
    set: '    type: hash:ip\n    options: {maxelem: 4294967296}\n',
    line: 7,
    col: 24,
    path: 'ipsets.s.options.maxelem',
    message: /^maxelem 4294967296 is out of range \(0-4294967295\)$/,
  },
  {
    what: 'more members than maxelem',
    set: '    type: hash:ip\n    options: {maxelem: 1}\n    entries: [192.0.2.1, 192.0.2.2]\n',
    line: 7,
    col: 24,
    path: 'ipsets.s.options.maxelem',
    message: /^the entries make 2 members, more than maxelem 1: ipset restore would stop with "Hash is full"$/,
  },
  {
    what: 'timeout over TIMEOUT_MAX',
    set: '    type: hash:ip\n    options:\n      timeout: 2147484\n',
    line: 8,
    col: 16,
    path: 'ipsets.s.options.timeout',
    message: /^timeout 2147484 is out of range \(0-2147483\)$/,
  },
  {
    what: 'unknown option',
    set: '    type: hash:ip\n    options:\n      hashsise: 1024\n',
    line: 8,
    col: 7,
    path: 'ipsets.s.options.hashsise',
    message: /^unknown ipset create option \(did you mean "hashsize"\?\); expected one of: /,
  },
  {
    what: 'an option ipset ignores',
    set: '    type: hash:ip\n    options: {probes: 4}\n',
    line: 7,
    col: 15,
    path: 'ipsets.s.options.probes',
    message: /^probes is ignored by ipset: remove it$/,
  },
  {
    what: 'comment flag with a string value',
    set: '    type: hash:ip\n    options:\n      comment: "yes"\n',
    line: 8,
    col: 16,
    path: 'ipsets.s.options.comment',
    message: /^expected true or false, found "yes" \(YAML 1\.2 reads yes\/no\/on\/off as strings\)$/,
  },
  {
    what: 'an entry comment in a set without comment support',
    set: '    type: hash:ip\n    entries: [\'192.0.2.1 comment "web"\']\n',
    line: 7,
    col: 15,
    path: 'ipsets.s.entries\\[0\\]',
    message: /^comment needs a set created with comment support \(the set has none\)$/,
  },
  {
    what: 'a range that expands past maxelem',
    set: '    type: hash:ip\n    entries: [10.0.0.0/8]\n',
    line: 7,
    col: 15,
    path: 'ipsets.s.entries\\[0\\]',
    message: /^"10\.0\.0\.0\/8" expands to 16777216 entries, more than the set can hold \(65536\)/,
  },
  {
    what: 'a bitmap without its range',
    set: '    type: bitmap:ip\n    entries: [192.0.2.1]\n',
    line: 6,
    col: 5,
    path: 'ipsets.s.options',
    message: /^bitmap:ip needs a range/,
  },
  {
    what: 'a bitmap entry outside its range',
    set: '    type: bitmap:port\n    options: {range: "1024-2048"}\n    entries: [80]\n',
    line: 8,
    col: 15,
    path: 'ipsets.s.entries\\[0\\]',
    message: /^80 is outside the set's range 1024-2048$/,
  },
  {
    what: 'an IPv4-only type with family inet6',
    set: '    type: bitmap:ip\n    family: inet6\n    options: {range: 192.0.2.0/24}\n',
    line: 7,
    col: 13,
    path: 'ipsets.s.family',
    message: /^bitmap:ip sets are IPv4 only$/,
  },
  {
    what: "a type's old name",
    set: '    type: iphash\n',
    line: 6,
    col: 11,
    path: 'ipsets.s.type',
    message: /^unknown ipset type "iphash" \(the old name of hash:ip: write hash:ip\)/,
  },
];

const dir = mkdtempSync(join(tmpdir(), 'dfw-policy-ipsets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The set as a library caller would build it from the same YAML, for reconcileIpsets. */
function handMade(yaml: string): SetSpec {
  const s = (parseYaml(yaml) as { ipsets: { s: Record<string, unknown> } }).ipsets.s;
  return {
    name: 's',
    type: String(s.type),
    family: (s.family as SetSpec['family'] | undefined) ?? 'inet',
    options: (s.options as SetSpec['options'] | undefined) ?? {},
    entries: ((s.entries as unknown[] | undefined) ?? []).map(String),
  };
}

describe('a set ipset would refuse: one message, one position, from every command', () => {
  it.each(BAD.map((c, i) => [c.what, c, i] as const))('%s', (_what, c, i) => {
    const yaml = `${HEAD}${c.set}`;
    const file = join(dir, `bad-${i}.yaml`);
    writeFileSync(file, yaml);

    let error: unknown;
    try {
      loadPolicy(yaml, file);
    } catch (e) {
      error = e;
    }
    expect(error, 'loadPolicy throws').toBeInstanceOf(DfwSyntaxError);
    const e = error as DfwSyntaxError;
    expect([e.line, e.column], e.message).toEqual([c.line, c.col]);
    const [path, ...rest] = e.reason.split(': ');
    expect(path, e.message).toMatch(new RegExp(`^${c.path}$`));
    expect(rest.join(': '), e.message).toMatch(c.message);

    const out = join(dir, `bundle-${i}`);
    for (const args of [
      ['transform', DUMP, '--policy', file],
      ['ipset', SETS, '--policy', file],
      ['bundle', '--policy', file, '--out', out],
    ]) {
      const r = dfw(args, '');
      expect(r.status, `dfw ${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stdout, `dfw ${args[0]}`).toBe('');
      expect(r.stderr.split('\n')[0], `dfw ${args[0]}`).toBe(e.message);
    }

    // The ipset side refuses the same set built by hand, with the same words.
    expect(() => reconcileIpsets(undefined, [handMade(yaml)])).toThrow(e.reason);
  });

  it('accepts what ipset accepts, and the reconciler takes the loaded sets as they are', () => {
    const yaml = `${HEAD}    type: hash:ip\n    options: {bucketsize: 255, maxelem: 2, timeout: 2147483, comment: true}\n    entries: ['192.0.2.1 comment "web"', 192.0.2.2]\n`;
    const p = loadPolicy(yaml, 'ok.yaml');
    const set = p.ipsets[0]!;
    expect(Object.isFrozen(set) && Object.isFrozen(set.options) && Object.isFrozen(set.entries)).toBe(true);
    // Checked once: the loader's result is what the reconciler gets.
    expect(resolveSetSpec(set)).toBe(resolveSetSpec(set));
    expect(reconcileIpsets(undefined, p.ipsets).text).toBe(
      'create s hash:ip family inet maxelem 2 timeout 2147483 comment bucketsize 255\n' +
        'add s 192.0.2.1 comment "web"\nadd s 192.0.2.2\n',
    );
  });
});
