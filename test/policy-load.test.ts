import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DfwSyntaxError } from '../src/errors.js';
import { formatIPv6, parseIPv6 } from '../src/net/address.js';
import { parseCidr } from '../src/net/cidr.js';
import { loadPolicy, referencedSets } from '../src/policy/load.js';
import type { Policy } from '../src/policy/types.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url)), 'utf8');

/** The error loadPolicy throws, checked to be a DfwSyntaxError. */
function errorOf(text: string, file = 'p.yaml'): DfwSyntaxError {
  try {
    loadPolicy(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(DfwSyntaxError);
    return e as DfwSyntaxError;
  }
  throw new Error(`expected an error for:\n${text}`);
}

describe('loadPolicy: good policies', () => {
  it('normalises the example policy (fixtures/policies/web.yaml)', () => {
    const expected: Policy = {
      version: 1,
      name: 'web',
      chain: 'DOCKER-USER',
      external: ['eth0'],
      established: true,
      allow: [
        { name: 'https', proto: 'tcp', port: [{ from: 443, to: 443 }], from: [{ kind: 'any' }] },
        {
          name: 'ssh-admin',
          proto: 'tcp',
          port: [{ from: 2222, to: 2222 }],
          from: [
            { kind: 'set', name: 'ipfriends' },
            { kind: 'cidr', family: 4, cidr: '198.51.100.0/24' },
          ],
        },
        {
          name: 'db',
          proto: 'tcp',
          containerPort: [{ from: 5432, to: 5432 }],
          to: [{ kind: 'cidr', family: 4, cidr: '172.18.0.2/32' }],
          from: [{ kind: 'cidr', family: 4, cidr: '192.0.2.0/24' }],
        },
      ],
      sources: [{ kind: 'set', name: 'ipfriends' }],
      default: 'drop',
      ipsets: [
        {
          name: 'ipfriends',
          type: 'hash:ip',
          family: 'inet',
          options: { hashsize: 1024, maxelem: 65536 },
          entries: ['203.0.113.7', '198.51.100.22'],
        },
      ],
    };
    expect(loadPolicy(fixture('web.yaml'), 'web.yaml')).toStrictEqual(expected);
  });

  it('normalises fixtures/policies/classic.yaml', () => {
    expect(loadPolicy(fixture('classic.yaml'), 'classic.yaml')).toStrictEqual({
      version: 1,
      name: 'classic',
      chain: 'DOCKER-USER',
      external: ['eth0'],
      established: true,
      allow: [{ name: 'http', proto: 'tcp', port: [{ from: 80, to: 80 }], from: [{ kind: 'any' }] }],
      sources: [{ kind: 'set', name: 'ipfriends' }],
      default: 'drop',
      ipsets: [
        { name: 'ipfriends', type: 'hash:ip', family: 'inet', options: {}, entries: ['203.0.113.7', '198.51.100.22'] },
      ],
    } satisfies Policy);
  });

  it('fills in the defaults', () => {
    const p = loadPolicy('version: 1\nname: min\nexternal: eth0\n', 'min.yaml');
    expect(p).toStrictEqual({
      version: 1,
      name: 'min',
      chain: 'DOCKER-USER',
      external: ['eth0'],
      established: true,
      allow: [],
      sources: [],
      default: 'drop',
      ipsets: [],
    } satisfies Policy);
  });

  it('names rules allow-<index> by default, reads single values as lists, keeps port lists as written', () => {
    const p = loadPolicy(
      [
        'version: 1',
        'name: t',
        'chain: DOCKER',
        'external: [eth0, "wg+"]',
        'established: false',
        'default: reject',
        'allow:',
        '  - proto: udp',
        '    port: "53"',
        '  - name: web',
        '    proto: tcp',
        '    port: [80, "8000:8100", 443, "9000:9000"]',
        '  - proto: sctp',
        '    container_port: [3868]',
        '    to: [172.18.0.2, 172.18.0.0/16]',
        '    from: 10.1.2.3/8',
        'sources: 203.0.113.0/24',
        '',
      ].join('\n'),
      't.yaml',
    );
    expect(p.chain).toBe('DOCKER');
    expect(p.external).toStrictEqual(['eth0', 'wg+']);
    expect(p.established).toBe(false);
    expect(p.default).toBe('reject');
    expect(p.allow.map((r) => r.name)).toStrictEqual(['allow-0', 'web', 'allow-2']);
    expect(p.allow[0]?.port).toStrictEqual([{ from: 53, to: 53 }]);
    expect(p.allow[0]?.from).toStrictEqual([{ kind: 'any' }]);
    expect(p.allow[1]?.port).toStrictEqual([
      { from: 80, to: 80 },
      { from: 8000, to: 8100 },
      { from: 443, to: 443 },
      { from: 9000, to: 9000 },
    ]);
    expect(p.allow[2]).toStrictEqual({
      name: 'allow-2',
      proto: 'sctp',
      containerPort: [{ from: 3868, to: 3868 }],
      to: [
        { kind: 'cidr', family: 4, cidr: '172.18.0.2/32' },
        { kind: 'cidr', family: 4, cidr: '172.18.0.0/16' },
      ],
      from: [{ kind: 'cidr', family: 4, cidr: '10.0.0.0/8' }],
    });
    expect(p.sources).toStrictEqual([{ kind: 'cidr', family: 4, cidr: '203.0.113.0/24' }]);
  });

  it('keeps a port list longer than one multiport match (the compiler splits it)', () => {
    const ports = Array.from({ length: 20 }, (_, i) => `"${1000 + 10 * i}:${1005 + 10 * i}"`).join(', ');
    const p = loadPolicy(
      `version: 1\nname: t\nexternal: eth0\nallow:\n  - proto: tcp\n    port: [${ports}]\n`,
      't.yaml',
    );
    expect(p.allow[0]?.port).toHaveLength(20);
  });

  it('reads JSON', () => {
    const p = loadPolicy(
      '{"version": 1, "name": "j", "external": ["eth0"], "allow": [{"proto": "udp", "port": 53, "from": ["2001:DB8::1"]}]}',
      'p.json',
    );
    expect(p.allow).toStrictEqual([
      {
        name: 'allow-0',
        proto: 'udp',
        port: [{ from: 53, to: 53 }],
        from: [{ kind: 'cidr', family: 6, cidr: '2001:db8::1/128' }],
      },
    ]);
  });

  it('follows YAML aliases', () => {
    const p = loadPolicy(
      [
        'version: 1',
        'name: t',
        'external: eth0',
        'allow:',
        '  - proto: tcp',
        '    port: 22',
        '    from: &admins [198.51.100.7, set:ops]',
        '  - proto: tcp',
        '    port: 5432',
        '    from: *admins',
        '',
      ].join('\n'),
      't.yaml',
    );
    expect(p.allow[1]?.from).toStrictEqual(p.allow[0]?.from);
  });

  it('normalises ipsets: family, options, numeric entries', () => {
    const p = loadPolicy(
      [
        'version: 1',
        'name: t',
        'external: eth0',
        'ipsets:',
        '  v6:',
        '    type: hash:ip',
        '    family: inet6',
        '    options: {maxelem: 1000, timeout: 0, counters: true, comment: false, netmask: 64}',
        '    entries: ["2001:db8::1"]',
        '  marks:',
        '    type: hash:ip,mark',
        '    options: {markmask: "0xff"}',
        '  ports:',
        '    type: bitmap:port',
        '    options: {range: "1-1024"}',
        '    entries: [22, 80]',
        '',
      ].join('\n'),
      't.yaml',
    );
    expect(p.ipsets).toStrictEqual([
      {
        name: 'v6',
        type: 'hash:ip',
        family: 'inet6',
        options: { maxelem: 1000, timeout: 0, counters: true, comment: false, netmask: 64 },
        entries: ['2001:db8::1'],
      },
      { name: 'marks', type: 'hash:ip,mark', family: 'inet', options: { markmask: '0xff' }, entries: [] },
      { name: 'ports', type: 'bitmap:port', family: 'inet', options: { range: '1-1024' }, entries: ['22', '80'] },
    ]);
  });

  it('does not require sets to be declared', () => {
    const p = loadPolicy('version: 1\nname: t\nexternal: eth0\nsources: [set:elsewhere]\n', 't.yaml');
    expect(p.sources).toStrictEqual([{ kind: 'set', name: 'elsewhere' }]);
  });
});

describe('referencedSets', () => {
  it('lists each set used in allow[].from and sources once, in order of first use', () => {
    const p = loadPolicy(
      [
        'version: 1',
        'name: t',
        'external: eth0',
        'allow:',
        '  - {proto: tcp, port: 22, from: [set:admins, 192.0.2.1]}',
        '  - {proto: tcp, port: 23, from: [set:ops, set:admins]}',
        'sources: [set:ipfriends, set:ops]',
        'ipsets:',
        '  unused: {type: hash:ip}',
        '',
      ].join('\n'),
      't.yaml',
    );
    expect(referencedSets(p)).toStrictEqual(['admins', 'ops', 'ipfriends']);
    expect(referencedSets(loadPolicy(fixture('web.yaml'), 'web.yaml'))).toStrictEqual(['ipfriends']);
  });
});

describe('addresses: canonical as iptables-save / ip6tables-save print them', () => {
  const table: [string, string][] = [
    ['10.1.2.3', '10.1.2.3/32'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.129/25', '192.168.1.128/25'],
    ['203.0.113.7/32', '203.0.113.7/32'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1/128'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'], // first of two equal runs
    ['2001:db8:1:1:1:1:0:1', '2001:db8:1:1:1:1:0:1/128'], // a single zero group stays
    ['2001:db8::1:0:0:1/64', '2001:db8::/64'],
    ['fe80::1:2:3:4/10', 'fe80::/10'],
    ['::1', '::1/128'],
    ['::ffff:203.0.113.9', '::ffff:203.0.113.9/128'],
    ['::ffff:cb00:7109', '::ffff:203.0.113.9/128'],
    ['::1.2.3.4', '::1.2.3.4/128'], // IPv4-compatible, as glibc prints it (ipaddr.js reads it as mapped)
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304/128'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8/128'],
    ['1::', '1::/128'],
  ];
  it.each(table)('%s → %s', (input, cidr) => {
    const r = parseCidr(input);
    expect(r).toMatchObject({ ok: true, value: { cidr } });
    // Canonical text reads back as itself.
    expect(parseCidr(cidr)).toMatchObject({ ok: true, value: { cidr } });
  });

  it.each([
    '10.1',
    '010.0.0.1',
    '0x0a.0.0.1',
    '1.2.3.256',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    'fe80::1%eth0',
    '[::1]',
    '1:2:3:4:5:6:7::1.2.3.4',
    ':1::2',
    'a.b.c.d',
    '10.0.0.0/8/8',
    '10.0.0.0/255.0.0.0',
    '10.0.0.0/08',
  ])('refuses %s', (input) => {
    expect(parseCidr(input).ok).toBe(false);
  });

  it('formats every 16-byte address so that it parses back to the same bytes', () => {
    const words = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(words, { minLength: 8, maxLength: 8 }), (ws) => {
        const bytes = ws.flatMap((w) => [w >> 8, w & 0xff]);
        const text = formatIPv6(bytes);
        expect(text).toBe(text.toLowerCase());
        expect(parseIPv6(text)).toStrictEqual(bytes);
        expect(text).not.toMatch(/(^|:)0[0-9a-f]/); // no leading zeros in a group
      }),
      { numRuns: 2000 },
    );
  });
});

describe('loadPolicy: bad policies', () => {
  const head = 'version: 1\nname: t\nexternal: eth0\n'; // lines 1-3
  const rule = (...lines: string[]): string => `${head}allow:\n  - ${lines.join('\n    ')}\n`; // rule keys from line 5

  // [what, policy text, path that starts the message ('' for the whole file), line, fragment of the message]
  const bad: [string, string, string, number, string][] = [
    ['empty file', '', '', 1, 'empty policy'],
    ['comments only', '# nothing here\n', '', 1, 'empty policy'],
    ['a list at the top', '- version: 1\n', '', 1, 'a policy is a mapping'],
    ['a string at the top', 'hello\n', '', 1, 'found "hello"'],
    ['invalid YAML', `${head}allow: [\n`, '', 5, 'invalid YAML'],
    ['two documents', `${head}---\n${head}`, '', 4, 'one YAML document'],
    ['YAML 1.1', `%YAML 1.1\n---\n${head}`, '', 1, 'YAML 1.2'],
    ['unresolved tag', `${head}established: !bool yes\n`, '', 4, 'Unresolved tag'],
    ['missing version', 'name: t\nexternal: eth0\n', 'version', 1, 'missing'],
    ['version 2', 'name: t\nversion: 2\nexternal: eth0\nrules: []\n', 'version', 2, 'unsupported policy version 2'],
    ['version as a string', 'version: "1"\nname: t\nexternal: eth0\n', 'version', 1, 'expected 1, found "1"'],
    ['unknown top-level key', `${head}\nnmae: x\n`, 'nmae', 5, 'unknown key'],
    ['misspelt key suggests', `${head}interfaces: [eth1]\n`, 'interfaces', 4, 'did you mean "external"?'],
    [
      'duplicate key',
      'version: 1\nname: t\nexternal: eth0\nname: u\n',
      'name',
      4,
      'duplicate key (first given at line 2)',
    ],
    ['missing name', 'version: 1\nexternal: eth0\n', 'name', 1, 'missing'],
    ['name with a space', 'version: 1\nname: my web\nexternal: eth0\n', 'name', 2, 'may contain only letters'],
    ['name with a colon', 'version: 1\nname: "a:b"\nexternal: eth0\n', 'name', 2, 'may contain only letters'],
    ['name too long', `version: 1\nname: ${'n'.repeat(25)}\nexternal: eth0\n`, 'name', 2, 'at most 24'],
    ['name with a newline', 'version: 1\nname: "web\\n"\nexternal: eth0\n', 'name', 2, 'control character (\\n)'],
    ['bad chain', `${head}chain: docker-user\n`, 'chain', 4, 'did you mean "DOCKER-USER"?'],
    ['missing external', 'version: 1\nname: t\n', 'external', 1, 'missing'],
    ['empty external', 'version: 1\nname: t\nexternal: []\n', 'external', 3, 'would filter nothing'],
    ['external too long', 'version: 1\nname: t\nexternal: [eth0, enp0s31f6abcdefgh]\n', 'external[1]', 3, 'at most 15'],
    [
      'external with a slash',
      'version: 1\nname: t\nexternal:\n  - eth0\n  - "eth/1"\n',
      'external[1]',
      5,
      'contains "/"',
    ],
    ['external with whitespace', 'version: 1\nname: t\nexternal: "eth 0"\n', 'external', 3, 'whitespace'],
    ['external "."', 'version: 1\nname: t\nexternal: "."\n', 'external', 3, 'not a valid interface name'],
    ['external "+" alone', 'version: 1\nname: t\nexternal: "+"\n', 'external', 3, 'matches every interface'],
    [
      'external with a carriage return',
      'version: 1\nname: t\nexternal: "eth0\\r"\n',
      'external',
      3,
      'control character (\\r)',
    ],
    ['external duplicated', 'version: 1\nname: t\nexternal: [eth0, eth0]\n', 'external[1]', 3, 'listed twice'],
    ['established: yes', `${head}established: yes\n`, 'established', 4, 'expected true or false'],
    ['default DROP', `${head}default: DROP\n`, 'default', 4, 'did you mean "drop"?'],
    ['allow is a mapping', `${head}allow:\n  proto: tcp\n`, 'allow', 5, 'expected a list of rules'],
    ['allow: nothing', `${head}allow:\n`, 'allow', 4, 'found nothing'],
    [
      'port is a service name',
      rule('proto: tcp', 'port: http'),
      'allow[0].port',
      6,
      'expected a port (1-65535), a range "8000:8100" or a list of these, found "http"',
    ],
    ['port out of range', rule('proto: tcp', 'port: 65536'), 'allow[0].port', 6, 'out of range'],
    ['port 0', rule('proto: tcp', 'port: [80, 0]'), 'allow[0].port[1]', 6, 'out of range'],
    ['reversed range', rule('proto: tcp', 'port: "8100:8000"'), 'allow[0].port', 6, 'reversed'],
    ['dash range', rule('proto: tcp', 'port:', '  - 80', '  - 8000-8100'), 'allow[0].port[1]', 8, '"8000:8100"'],
    ['hex port', rule('proto: tcp', 'port: 0x50'), 'allow[0].port', 6, 'decimal'],
    ['empty port list', rule('proto: tcp', 'port: []'), 'allow[0].port', 6, 'no port'],
    ['duplicate port', rule('proto: tcp', 'port: [80, "80"]'), 'allow[0].port[1]', 6, 'listed twice'],
    ['no port', rule('proto: tcp', 'from: any'), 'allow[0].port', 5, 'needs port'],
    [
      'port and container_port',
      rule('proto: tcp', 'port: 80', 'container_port: 8080'),
      'allow[0].container_port',
      7,
      'not both',
    ],
    ['no proto', rule('port: 80'), 'allow[0].proto', 5, 'needs proto'],
    ['bad proto', rule('proto: icmp', 'port: 80'), 'allow[0].proto', 5, 'expected "tcp" or "udp" or "sctp"'],
    ['unknown rule key', rule('proto: tcp', 'port: 80', 'src: 10.0.0.0/8'), 'allow[0].src', 7, 'did you mean "from"?'],
    ['rule is a string', `${head}allow:\n  - https\n`, 'allow[0]', 5, 'expected a rule'],
    [
      'bad rule name',
      rule('name: "db:main"', 'proto: tcp', 'port: 5432'),
      'allow[0].name',
      5,
      'may contain only letters',
    ],
    ['reserved rule name', rule('name: established', 'proto: tcp', 'port: 5432'), 'allow[0].name', 5, 'reserved'],
    [
      'duplicate rule names',
      `${head}allow:\n  - {name: a, proto: tcp, port: 1}\n  - {name: a, proto: tcp, port: 2}\n`,
      'allow[1].name',
      6,
      'duplicate rule name "a"',
    ],
    [
      'explicit name clashes with a default one',
      `${head}allow:\n  - {proto: tcp, port: 1}\n  - {name: allow-0, proto: tcp, port: 2}\n`,
      'allow[1].name',
      6,
      'allow[0], named by default',
    ],
    ['from: nothing', rule('proto: tcp', 'port: 80', 'from:'), 'allow[0].from', 7, 'found nothing'],
    ['from: []', rule('proto: tcp', 'port: 80', 'from: []'), 'allow[0].from', 7, 'lets nobody through'],
    [
      'any mixed with others',
      rule('proto: tcp', 'port: 80', 'from: [10.0.0.0/8, any]'),
      'allow[0].from[1]',
      7,
      'cannot be combined',
    ],
    ['0.0.0.0/0', rule('proto: tcp', 'port: 80', 'from: 0.0.0.0/0'), 'allow[0].from', 7, 'write any'],
    ['::/0', rule('proto: tcp', 'port: 80', 'from: ["::/0"]'), 'allow[0].from[0]', 7, 'write any'],
    [
      'host name',
      rule('proto: tcp', 'port: 80', 'from: example.com'),
      'allow[0].from',
      7,
      'not an IPv4 or IPv6 address',
    ],
    ['prefix too long', rule('proto: tcp', 'port: 80', 'from: 10.0.0.0/33'), 'allow[0].from', 7, '0-32'],
    [
      'duplicate after normalisation',
      rule('proto: tcp', 'port: 80', 'from:', '  - 10.0.0.0/8', '  - 10.1.2.3/8'),
      'allow[0].from[1]',
      9,
      'the same as allow[0].from[0]',
    ],
    ['bad set name', rule('proto: tcp', 'port: 80', 'from: "set:a b"'), 'allow[0].from', 7, 'whitespace'],
    [
      'set name too long',
      rule('proto: tcp', 'port: 80', `from: set:${'s'.repeat(32)}`),
      'allow[0].from',
      7,
      'at most 31',
    ],
    ['to: any', rule('proto: tcp', 'container_port: 80', 'to: any'), 'allow[0].to', 7, 'leave "to" out'],
    ['to: set', rule('proto: tcp', 'container_port: 80', 'to: set:x'), 'allow[0].to', 7, 'sets are not supported'],
    [
      'to family mismatch',
      rule('proto: tcp', 'container_port: 80', 'from: 2001:db8::/32', 'to: 172.18.0.2'),
      'allow[0].to',
      8,
      'could never match',
    ],
    [
      'to family mismatch with a declared set',
      `${head}allow:\n  - {proto: tcp, container_port: 80, from: set:v6, to: 172.18.0.2}\nipsets:\n  v6: {type: hash:ip, family: inet6}\n`,
      'allow[0].to',
      5,
      'could never match',
    ],
    ['sources: any', `${head}sources: [set:ipfriends, any]\n`, 'sources[1]', 4, 'would let everyone through'],
    ['sources: 0.0.0.0/0', `${head}sources: 0.0.0.0/0\n`, 'sources', 4, 'would let everyone through'],
    ['ipsets is a list', `${head}ipsets:\n  - ipfriends\n`, 'ipsets', 5, 'expected a mapping of set names'],
    ['ipset without type', `${head}ipsets:\n  ipfriends:\n    family: inet\n`, 'ipsets.ipfriends.type', 6, 'missing'],
    ['unknown ipset type', `${head}ipsets:\n  s:\n    type: hash:ipp\n`, 'ipsets.s.type', 6, 'did you mean "hash:ip"?'],
    [
      'bad ipset family',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    family: ipv6\n`,
      'ipsets.s.family',
      7,
      'expected "inet" or "inet6"',
    ],
    [
      'unknown ipset key',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    members: [192.0.2.1]\n`,
      'ipsets.s.members',
      7,
      'did you mean "entries"?',
    ],
    [
      'ipset name with a leading dash',
      `${head}ipsets:\n  -s:\n    type: hash:ip\n`,
      'ipsets["-s"]',
      5,
      'must not start with "-"',
    ],
    [
      'ipset name too long',
      `${head}ipsets:\n  ${'s'.repeat(32)}:\n    type: hash:ip\n`,
      `ipsets.${'s'.repeat(32)}`,
      5,
      'at most 31',
    ],
    [
      'family inside options',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    options:\n      family: inet\n`,
      'ipsets.s.options.family',
      8,
      'key of the set itself',
    ],
    [
      'unknown option',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    options: {hashsise: 1024}\n`,
      'ipsets.s.options.hashsise',
      7,
      'did you mean "hashsize"?',
    ],
    [
      'timeout too large',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    options:\n      timeout: 2147484\n`,
      'ipsets.s.options.timeout',
      8,
      '0-2147483',
    ],
    [
      'flag option not boolean',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    options:\n      counters: "on"\n`,
      'ipsets.s.options.counters',
      8,
      'expected true or false',
    ],
    [
      'entries not a list',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    entries: 192.0.2.1\n`,
      'ipsets.s.entries',
      7,
      'expected a list of entries',
    ],
    [
      'entry with a NUL',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    entries: ["192.0.2.1\\0"]\n`,
      'ipsets.s.entries[0]',
      7,
      'control character (\\u0000)',
    ],
    [
      'bitmap with inet6',
      `${head}ipsets:\n  s:\n    type: bitmap:ip\n    family: inet6\n`,
      'ipsets.s.family',
      7,
      'IPv4 only',
    ],
    ['non-string key', `${head}1: x\n`, '', 4, 'keys must be strings'],
    // YAML 1.1 tags the yaml package knows: their values are not plain text.
    [
      'a !!binary name',
      'version: 1\nname: !!binary d2Vi\nexternal: eth0\n',
      'name',
      2,
      'a !!binary value: a policy holds plain YAML values',
    ],
    [
      'a !!timestamp port',
      rule('proto: tcp', 'port: !!timestamp 2001-01-01'),
      'allow[0].port',
      6,
      'a !!timestamp value',
    ],
    ['a !!set of sources', `${head}sources: !!set {192.0.2.1: null}\n`, 'sources', 4, 'a !!set value'],
    [
      'a !!binary entry',
      `${head}ipsets:\n  s:\n    type: hash:ip\n    entries: [!!binary MTky]\n`,
      'ipsets.s.entries[0]',
      7,
      'a !!binary value',
    ],
    // Characters a terminal would not show are escaped in the message.
    [
      'NEL in a name',
      'version: 1\nname: "a\\u0085b"\nexternal: eth0\n',
      'name',
      2,
      'the value "a\\u0085b" contains a control character (\\u0085)',
    ],
    [
      'right-to-left override in a rule name',
      rule('name: "ok\\u202edb"', 'proto: tcp', 'port: 80'),
      'allow[0].name',
      5,
      '"ok\\u202edb"',
    ],
    [
      'astral format character (U+E0001) in a rule name',
      rule('name: "ok\\U000E0001db"', 'proto: tcp', 'port: 80'),
      'allow[0].name',
      5,
      '"ok\\udb40\\udc01db"',
    ],
    [
      'line separator in an interface',
      'version: 1\nname: t\nexternal: "eth\\u20280"\n',
      'external',
      3,
      '"eth\\u20280"',
    ],
  ];

  it.each(bad)('%s', (_what, text, path, line, fragment) => {
    const e = errorOf(text);
    if (path === '') expect(e.reason).not.toMatch(/^[\w[\]."-]+: /);
    else expect(e.reason.startsWith(`${path}: `), `reason: ${e.reason}`).toBe(true);
    expect(e.reason).toContain(fragment);
    expect(e.line).toBe(line);
    expect(e.file).toBe('p.yaml');
    expect(e.message).toBe(`p.yaml:${e.line}:${e.column}: ${e.reason}`);
    // The source line is the line the error points at, and the caret is inside it (or just after).
    expect(e.source).toBe(text.split('\n')[line - 1] ?? '');
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeLessThanOrEqual(e.source.length + 1);
  });

  it('points at the offending value, with a caret', () => {
    const e = errorOf(`${head}allow:\n  - proto: tcp\n    port: [80, http]\n`);
    expect(e.message).toBe(
      'p.yaml:6:16: allow[0].port[1]: expected a port (1-65535), a range "8000:8100" or a list of these, found "http" (service names are not looked up: write 80)',
    );
    expect(e.showSourceCode()).toBe(`${e.message}\n      port: [80, http]\n                 ^`);
  });

  it('throws only DfwSyntaxError, whatever the input', () => {
    const fragments = fc.constantFrom(
      'version: 1\n',
      'name: t\n',
      'external: eth0\n',
      'allow:\n',
      '  - proto: tcp\n',
      '    port: 80\n',
      '    from: any\n',
      '    to: 172.18.0.2\n',
      'sources: [set:x]\n',
      'ipsets:\n',
      '  x: {type: hash:ip}\n',
      '- \n',
      ': \n',
      '"',
      '[',
      '{',
      '&a ',
      '*a ',
      '\t',
      '\0',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fragments, fc.string()), { maxLength: 12 }), (parts) => {
        try {
          loadPolicy(parts.join(''), 'f.yaml');
        } catch (e) {
          expect(e).toBeInstanceOf(DfwSyntaxError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
