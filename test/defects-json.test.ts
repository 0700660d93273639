// Issue 22, item 13: the JSON form and plugin results get the checks text gets, with the error
// at the JSON path: what the node would print as must parse, and parse back as the same node.
import { describe, expect, it } from 'vitest';
import { ipsetFromJson } from '../src/ipset/json.js';
import { iptablesFromJson } from '../src/iptables/json.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { loadPolicy } from '../src/policy/load.js';
import { applyPlugins } from '../src/transform/plugins.js';

const dump = (body: object[], finalNewline = true) => ({
  version: 2,
  kind: 'iptables',
  finalNewline,
  items: [{ kind: 'table', name: 'filter', body }],
});
const rule = (spec: object) => ({ kind: 'rule', chain: 'INPUT', spec });
const DROP = { name: 'DROP', options: [] };

describe('iptables JSON: the checks of text (issue 22 item 13)', () => {
  it.each([
    [
      'a match option -j ACCEPT (would become the target)',
      rule({ options: [], matches: [{ name: 'comment', options: [{ flag: '-j', values: ['ACCEPT'] }] }] }),
      /items\[0\]\.body\[1\]: it would be written as "-A INPUT -m comment -j ACCEPT", which reads back as another rule/,
    ],
    [
      '-s with two values',
      rule({ options: [{ flag: '-s', values: ['192.0.2.1', '192.0.2.2'] }], matches: [], target: DROP }),
      /items\[0\]\.body\[1\]: .*-s takes 1 value, found 2/,
    ],
    [
      '-s with no value',
      rule({ options: [{ flag: '-s', values: [] }], matches: [], target: DROP }),
      /items\[0\]\.body\[1\]: .*-s takes 1 value, found 0/,
    ],
    [
      '--comment with two values',
      rule({
        options: [],
        matches: [{ name: 'comment', options: [{ flag: '--comment', values: ['a', 'b'] }] }],
        target: DROP,
      }),
      /items\[0\]\.body\[1\]: .*--comment takes one word, found 2/,
    ],
    [
      'a user chain with policy DROP',
      { kind: 'chain', name: 'X', policy: 'DROP' },
      /items\[0\]\.body\[1\]: .*user chain X cannot have policy `DROP`/,
    ],
  ])('%s: refused at its JSON path', (_what, node, message) => {
    expect(() => iptablesFromJson(dump([{ kind: 'chain', name: 'INPUT', policy: 'ACCEPT' }, node]))).toThrow(message);
  });

  it('a dump that ends with COMMIT and no line end: refused at finalNewline', () => {
    expect(() => iptablesFromJson(dump([], false))).toThrow(/^finalNewline: .*COMMIT without a line end/);
  });

  it('a node that reads back the same is accepted and printed canonically (--source as -s)', () => {
    const d = iptablesFromJson(
      dump([
        rule({
          options: [
            { flag: '--source', values: ['192.0.2.1/32'] },
            { flag: '-p', values: ['tcp'] },
          ],
          matches: [{ name: 'tcp', options: [{ flag: '--dport', values: ['22'] }] }],
          target: DROP,
        }),
      ]),
    );
    expect(printIptables(d)).toBe('*filter\n-A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j DROP\nCOMMIT\n');
  });
});

describe('ipset JSON: entries checked against their set (issue 22 item 13)', () => {
  const sets = (entry: string) => ({
    version: 2,
    kind: 'ipset',
    lines: [
      { kind: 'create', exist: false, set: 's', type: 'hash:ip', options: [{ name: 'family', value: 'inet' }] },
      { kind: 'add', exist: false, set: 's', entry, options: [] },
    ],
  });
  it.each([
    ['not-an-ip', /lines\[1\]: "not" is not an IP address/],
    ['2001:db8::1', /lines\[1\]: .*(IPv6|family)/],
    ['192.0.2.1,tcp:80', /lines\[1\]: /],
  ])('add s %s to a hash:ip family inet set: refused at lines[1]', (entry, message) => {
    expect(() => ipsetFromJson(sets(entry), 'x.json')).toThrow(message);
  });
  it('a good entry passes', () => {
    expect(ipsetFromJson(sets('192.0.2.1'), 'x.json').lines).toHaveLength(2);
  });
});

describe('plugin results: the same checks, naming the plugin', () => {
  it('a plugin rule with -j hidden in a match is refused', async () => {
    const input = parseIptables('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    const policy = loadPolicy('version: 1\nname: t\nexternal: [eth0]\n', 'p.yaml');
    const plugin = {
      name: 'bad.mjs',
      transform: () =>
        iptablesLike(
          dump([rule({ options: [], matches: [{ name: 'comment', options: [{ flag: '-j', values: ['ACCEPT'] }] }] })]),
        ),
    };
    await expect(applyPlugins(input, [plugin], { policy, family: 4 })).rejects.toThrow(
      /plugin bad\.mjs returned an invalid dump: items\[0\]\.body\[0\]: .*reads back as another rule/,
    );
  });
});

/** A JSON dump as a plugin might build it by hand (plain objects, no builders). */
function iptablesLike(j: ReturnType<typeof dump>): never {
  const { version: _v, ...rest } = j;
  return rest as never;
}
