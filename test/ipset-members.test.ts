// Members as ipset stores them: every expected value below was observed with the real
// `ipset restore` + `ipset save` (v7.17, docs/format.md#entries) unless marked otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type IpsetOption,
  type SetTypeName,
  normalizeElement,
  normalizeEntryOptions,
  readHeader,
} from '../src/ipset/index.js';
import { fastV4Element } from '../src/ipset/fast-v4.js';
import { generalElement } from '../src/ipset/members.js';

function header(type: SetTypeName, options: IpsetOption[] = []) {
  const h = readHeader(type, options);
  if (!h.ok) throw new Error(h.reason);
  return h.header;
}
const v6: IpsetOption[] = [{ name: 'family', value: 'inet6' }];

function elements(type: SetTypeName, entry: string, options: IpsetOption[] = []): string[] {
  const r = normalizeElement(header(type, options), entry);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

function reason(type: SetTypeName, entry: string, options: IpsetOption[] = []): string {
  const r = normalizeElement(header(type, options), entry);
  if (r.ok) throw new Error(`accepted: ${r.value.join(' ')}`);
  return r.reason;
}

describe('normalizeElement', () => {
  const cases: [SetTypeName, IpsetOption[], string, string[]][] = [
    // hash:net: /32 dropped, host bits masked, ranges become a minimal CIDR cover (docs/format.md#entries).
    ['hash:net', [], '10.0.0.1/32', ['10.0.0.1']],
    ['hash:net', [], '10.0.0.1', ['10.0.0.1']],
    ['hash:net', [], '10.1.2.3/8', ['10.0.0.0/8']],
    ['hash:net', [], '10.1.2.3/31', ['10.1.2.2/31']],
    ['hash:net', [], '192.168.2.0-192.168.2.130', ['192.168.2.0/25', '192.168.2.128/31', '192.168.2.130']],
    ['hash:net', v6, '2001:DB8:0:0:1::/128', ['2001:db8:0:0:1::']],
    ['hash:net', v6, '2001:db8::1/32', ['2001:db8::/32']],
    // hash:ip: ranges and CIDRs expand (v4); netmask and bitmask mask the address (docs/format.md#entries).
    ['hash:ip', [], '10.0.0.0/30', ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3']],
    ['hash:ip', [], '10.0.0.254-10.0.1.1', ['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']],
    ['hash:ip', [{ name: 'netmask', value: '24' }], '10.1.2.3', ['10.1.2.0']],
    ['hash:ip', [{ name: 'netmask', value: '30' }], '10.0.0.0-10.0.0.9', ['10.0.0.0', '10.0.0.4', '10.0.0.8']],
    ['hash:ip', [{ name: 'bitmask', value: '255.255.0.255' }], '10.1.2.3', ['10.1.0.3']],
    ['hash:ip', v6, '2001:DB8::A', ['2001:db8::a']],
    ['hash:ip', v6, '::ffff:1.2.3.4', ['::ffff:1.2.3.4']],
    ['hash:ip', v6, '::1.2.3.4', ['::1.2.3.4']],
    ['hash:ip', v6, '::0.0.0.2', ['::2']],
    ['hash:ip', [...v6, { name: 'netmask', value: '64' }], '2001:db8::1:2', ['2001:db8::']],
    // Ports: a bare port is TCP, ICMP types print by name, port ranges expand (docs/format.md#entries).
    ['hash:ip,port', [], '192.0.2.1,443', ['192.0.2.1,tcp:443']],
    ['hash:ip,port', [], '192.0.2.1,0x10', ['192.0.2.1,tcp:16']],
    ['hash:ip,port', [], '192.0.2.1,TCP:81', ['192.0.2.1,tcp:81']],
    ['hash:ip,port', [], '192.0.2.1,6:80', ['192.0.2.1,tcp:80']],
    ['hash:ip,port', [], '192.0.2.1,tcp:8080-8082', ['192.0.2.1,tcp:8080', '192.0.2.1,tcp:8081', '192.0.2.1,tcp:8082']],
    ['hash:ip,port', [], '192.0.2.1,icmp:3/4', ['192.0.2.1,icmp:fragmentation-needed']],
    ['hash:ip,port', [], '192.0.2.1,icmp:8/0', ['192.0.2.1,icmp:echo-request']],
    ['hash:ip,port', [], '192.0.2.1,icmp:ping', ['192.0.2.1,icmp:echo-request']],
    ['hash:ip,port', [], '192.0.2.1,icmp:3/99', ['192.0.2.1,icmp:3/99']],
    ['hash:ip,port', [], '192.0.2.1,47:0', ['192.0.2.1,gre:0']],
    ['hash:ip,port', [], '192.0.2.1,253:0', ['192.0.2.1,253:0']],
    ['hash:ip,port', [], '192.0.2.0/31,udp:53', ['192.0.2.0,udp:53', '192.0.2.1,udp:53']],
    ['hash:ip,port', v6, '2001:db8::1,icmpv6:1/4', ['2001:db8::1,ipv6-icmp:port-unreachable']],
    ['hash:ip,port', [{ name: 'netmask', value: '24' }], '10.1.2.3,80', ['10.1.2.0,tcp:80']],
    ['hash:ip,port,ip', [], '192.0.2.0/31,udp:53,3.3.3.3', ['192.0.2.0,udp:53,3.3.3.3', '192.0.2.1,udp:53,3.3.3.3']],
    ['hash:ip,port,net', [], '1.1.1.1,80,2.2.2.9/32', ['1.1.1.1,tcp:80,2.2.2.9']],
    ['hash:ip,port,net', [], '1.1.1.1,80,2.2.2.9/24', ['1.1.1.1,tcp:80,2.2.2.0/24']],
    [
      'hash:net,port',
      [],
      '10.0.0.0-10.0.0.2,udp:1-2',
      ['10.0.0.0/31,udp:1', '10.0.0.0/31,udp:2', '10.0.0.2,udp:1', '10.0.0.2,udp:2'],
    ],
    ['hash:net,iface', [], '10.1.0.0/16,physdev:eth1', ['10.1.0.0/16,physdev:eth1']],
    ['hash:net,iface', [], '0.0.0.0/0,docker0', ['0.0.0.0/0,docker0']],
    ['hash:net,iface', [], '10.2.0.0/16,eth+', ['10.2.0.0/16,eth+']],
    // bitmaps: netmask blocks; bitmap:port stores the port only; MACs print in upper case.
    [
      'bitmap:ip',
      [
        { name: 'range', value: '10.0.0.0/16' },
        { name: 'netmask', value: '24' },
      ],
      '10.0.6.0-10.0.7.255',
      ['10.0.6.0', '10.0.7.0'],
    ],
    [
      'bitmap:ip',
      [{ name: 'range', value: '10.10.0.0/24' }],
      '10.10.0.128/30',
      ['10.10.0.128', '10.10.0.129', '10.10.0.130', '10.10.0.131'],
    ],
    [
      'bitmap:ip,mac',
      [{ name: 'range', value: '192.168.1.0/28' }],
      '192.168.1.3,aa:bb:cc:dd:ee:f',
      ['192.168.1.3,AA:BB:CC:DD:EE:0F'],
    ],
    ['bitmap:ip,mac', [{ name: 'range', value: '192.168.1.0/28' }], '192.168.1.2', ['192.168.1.2']],
    ['bitmap:port', [{ name: 'range', value: '1-1024' }], 'tcp:443', ['443']],
    ['bitmap:port', [{ name: 'range', value: 'tcp:1-100' }], '10-12', ['10', '11', '12']],
    ['list:set', [], 'web4', ['web4']],
    // Types the kernel here lacks (from `ipset help TYPE`; not observed).
    ['hash:mac', [], '2:42:ac:11:0:2', ['02:42:AC:11:00:02']],
    ['hash:net,net', [], '10.0.0.0/8,192.168.0.1/32', ['10.0.0.0/8,192.168.0.1']],
  ];
  for (const [type, options, entry, want] of cases) {
    it(`${type}${options.map((o) => ` ${o.name} ${o.value ?? ''}`).join('')}: ${entry}`, () => {
      expect(elements(type, entry, options)).toEqual(want);
    });
  }

  const bad: [SetTypeName, IpsetOption[], string, RegExp][] = [
    ['hash:net', [], '0.0.0.0/0', /prefix length for inet \(1-32\)/],
    ['hash:net', [], '10.0.0.0/255.0.0.0', /dotted netmasks/],
    ['hash:net', v6, '2001:db8::1-2001:db8::5', /IPv6 ranges/],
    ['hash:ip', v6, '2001:db8::/126', /plain address/],
    ['hash:ip', [], '2001:db8::1', /IPv6 address, but the set is family inet/],
    ['hash:ip', v6, '10.0.0.1', /IPv4 address, but the set is family inet6/],
    ['hash:ip', [], '010.0.0.1', /octal/],
    ['hash:ip', [], 'www.example.com', /never resolves|dfw never does/],
    ['hash:ip', [], '10.0.0.0/8', /expands to 16777216 entries/],
    [
      'hash:ip',
      [{ name: 'maxelem', value: '4' }],
      '10.0.0.0/29',
      /expands to 8 entries, more than the set can hold \(4\)/,
    ],
    ['hash:ip,port', [], '192.0.2.1,ssh', /service name.*\(22\)/],
    ['hash:ip,port', [], '192.0.2.1,gre:5', /pseudo port value 0/],
    ['hash:ip,port', [], '192.0.2.1,icmpv6:echo-request', /ICMPv6 needs an inet6 set/],
    ['hash:ip,port', v6, '2001:db8::1,icmp:echo-request', /ICMP needs an inet set/],
    ['hash:ip,port', [], '192.0.2.1,icmp:bogus', /not an ICMP type/],
    ['hash:ip,port', [], '192.0.2.1,ip:0', /not a protocol ipset knows/],
    ['hash:ip,port', [], '192.0.2.1', /not IP,\[PROTO:\]PORT/],
    ['hash:ip,port', [], '192.0.2.1,tcp:90-80', /reversed/],
    ['hash:net,iface', [], '10.0.0.0/8,averyveryverylongname', /at most 15/],
    ['bitmap:ip', [{ name: 'range', value: '10.0.0.0/24' }], '10.0.1.1', /outside the set's range 10.0.0.0-10.0.0.255/],
    ['bitmap:port', [{ name: 'range', value: '1-1024' }], '2000', /outside the set's range 1-1024/],
    ['bitmap:ip,mac', [{ name: 'range', value: '10.0.0.0/24' }], '10.0.0.1,zz:bb:cc:dd:ee:ff', /not a MAC address/],
    ['list:set', [], 'bad name', /whitespace/],
  ];
  for (const [type, options, entry, want] of bad) {
    it(`refuses ${type}: ${entry}`, () => {
      expect(reason(type, entry, options)).toMatch(want);
    });
  }
});

describe('normalizeEntryOptions', () => {
  const full = header('hash:ip', [
    { name: 'timeout', value: '0' },
    { name: 'counters' },
    { name: 'comment' },
    { name: 'skbinfo' },
  ]);
  it('puts options in ipset save order and canonical form', () => {
    const r = normalizeEntryOptions(full, 'add', [
      { name: 'skbqueue', value: '3' },
      { name: 'comment', value: 'x y' },
      { name: 'skbmark', value: '0xA/0xFFFFFFFF' },
      { name: 'timeout', value: '0x10' },
      { name: 'skbprio', value: 'ff:A' },
      { name: 'bytes', value: '2' },
      { name: 'packets', value: '1' },
    ]);
    expect(r).toEqual({
      ok: true,
      options: [
        { name: 'timeout', value: '16' },
        { name: 'packets', value: '1' },
        { name: 'bytes', value: '2' },
        { name: 'comment', value: 'x y' },
        { name: 'skbmark', value: '0xa' },
        { name: 'skbprio', value: 'ff:a' },
        { name: 'skbqueue', value: '3' },
      ],
    });
  });
  it('drops values the kernel does not keep (skbqueue 0, skbprio 0:0, skbmark 0x0/0x0)', () => {
    const r = normalizeEntryOptions(full, 'add', [
      { name: 'skbqueue', value: '0' },
      { name: 'skbprio', value: '0:0' },
      { name: 'skbmark', value: '0x0/0x0' },
    ]);
    expect(r).toEqual({ ok: true, options: [] });
    expect(normalizeEntryOptions(full, 'add', [{ name: 'skbmark', value: '0x0' }])).toEqual({
      ok: true,
      options: [{ name: 'skbmark', value: '0x0' }],
    });
  });
  it('refuses options the set was not created for', () => {
    const plain = header('hash:ip');
    expect(normalizeEntryOptions(plain, 'add', [{ name: 'comment', value: 'x' }])).toMatchObject({
      ok: false,
      reason: /comment support/,
    });
    expect(normalizeEntryOptions(plain, 'add', [{ name: 'nomatch' }])).toMatchObject({
      ok: false,
      reason: /not an option of add for hash:ip/,
    });
    expect(normalizeEntryOptions(full, 'add', [{ name: 'comment', value: 'a"b' }])).toMatchObject({
      ok: false,
      reason: /double quote/,
    });
    expect(normalizeEntryOptions(full, 'add', [{ name: 'comment', value: 'x'.repeat(256) }])).toMatchObject({
      ok: false,
      reason: /256 bytes long \(at most 255\)/,
    });
    expect(normalizeEntryOptions(full, 'add', [{ name: 'packets', value: '18446744073709551615' }])).toMatchObject({
      ok: false,
      reason: /out of range/,
    });
    expect(normalizeEntryOptions(full, 'add', [{ name: 'timeout', value: '2147484' }])).toMatchObject({
      ok: false,
      reason: /out of range \(0-2147483\)/,
    });
  });
});

describe('readHeader', () => {
  it('reads family forms and refuses what ipset refuses', () => {
    expect(header('hash:ip', [{ name: 'family', value: 'ipv6' }]).family).toBe(6);
    expect(
      readHeader('hash:ip', [
        { name: 'netmask', value: '24' },
        { name: 'bitmask', value: '255.0.0.255' },
      ]),
    ).toMatchObject({ ok: false, reason: /together/ });
    expect(readHeader('bitmap:ip', [])).toMatchObject({ ok: false, reason: /needs a range/ });
    expect(readHeader('bitmap:ip', [{ name: 'range', value: '10.0.0.0/8' }])).toMatchObject({
      ok: false,
      reason: /at most 65536/,
    });
    expect(readHeader('hash:ip', [{ name: 'timeout', value: '2147484' }])).toMatchObject({
      ok: false,
      reason: /out of range/,
    });
    expect(readHeader('hash:net', [{ name: 'netmask', value: '24' }])).toMatchObject({
      ok: false,
      reason: /not an option of hash:net/,
    });
    expect(readHeader('list:set', [{ name: 'family', value: 'inet' }])).toMatchObject({
      ok: false,
      reason: /no family/,
    });
  });
});

describe('the IPv4 fast path (src/ipset/fast-v4.ts) equals the general path', () => {
  const headers: [string, ReturnType<typeof header>][] = [
    ['hash:ip', header('hash:ip')],
    ['hash:ip netmask 24', header('hash:ip', [{ name: 'netmask', value: '24' }])],
    ['hash:net', header('hash:net')],
    ['hash:net inet6', header('hash:net', v6)],
    ['hash:ip inet6', header('hash:ip', v6)],
    ['hash:ip,port', header('hash:ip,port')],
  ];
  // IPv4-looking words: valid ones, and every near miss the general path words an error for.
  const octet = fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('256', '999', '00', '01', '010', '1000', '', 'a', '-1', ' 1') },
  );
  const address = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(octet, octet, octet, octet).map((p) => p.join('.')) },
    { weight: 1, arbitrary: fc.array(octet, { minLength: 1, maxLength: 6 }).map((p) => p.join('.')) },
  );
  const prefix = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('', '08', '00', '255.255.255.0', 'x', '3 2') },
  );
  const entry = fc.oneof(
    { weight: 3, arbitrary: address },
    { weight: 3, arbitrary: fc.tuple(address, prefix).map(([a, p]) => `${a}/${p}`) },
    { weight: 1, arbitrary: fc.tuple(address, address).map(([a, b]) => `${a}-${b}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );

  it.each(headers)('%s: same result wherever the fast path answers, on 5,000 random entries', (_, h) => {
    let answered = 0;
    fc.assert(
      fc.property(entry, (e) => {
        const fast = fastV4Element(h, e);
        if (fast === undefined) return;
        answered++;
        expect(fast, e).toEqual(generalElement(h, e));
      }),
      { numRuns: 5000 },
    );
    // It answers for the plain types, and never where masks or other families apply.
    if (_ === 'hash:ip' || _ === 'hash:net') expect(answered).toBeGreaterThan(500);
    else expect(answered).toBe(0);
  });

  it('and it answers only for entries the general path accepts', () => {
    for (const [t, e] of [
      ['hash:ip', '010.0.0.1'],
      ['hash:net', '10.0.0.0/08'],
      ['hash:net', '10.0.0.0/0'],
      ['hash:ip', '10.0.0.0/24'],
      ['hash:net', '10.0.0.1-10.0.0.9'],
    ] as const) {
      expect(fastV4Element(header(t), e), `${t} ${e}`).toBeUndefined();
    }
    expect(fastV4Element(header('hash:net'), '10.1.2.3/8')).toEqual({ ok: true, value: ['10.0.0.0/8'] });
    expect(fastV4Element(header('hash:net'), '192.0.2.7/32')).toEqual({ ok: true, value: ['192.0.2.7'] });
  });
});
