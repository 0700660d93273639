// Issue 15, the library: address intervals, the policy as an nft table, the reader of
// `nft -j list ruleset`, published ports, the comparison behind --check, and the backend hint
// for iptables dumps. (The CLI, the real nft and packets: nft-golden, nft-errors, lab-nft.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptables } from '../src/iptables/parse.js';
import { entryInterval, intervalJson, mergeIntervals } from '../src/nft/intervals.js';
import {
  compareTables,
  compileNft,
  findTable,
  nftBackendHint,
  nftPublishedPorts,
  nftUnpublishedPorts,
  readNftRuleset,
  ruleText,
  tableText,
} from '../src/nft/index.js';
import { loadPolicy } from '../src/policy/load.js';
import { FIXTURES } from './support/fixtures.js';

const NFT = join(FIXTURES, 'nft');
const read = (...p: string[]) => readFileSync(join(NFT, ...p), 'utf8');
const LAB = loadPolicy(read('current', 'policy.yaml'), 'policy.yaml');

describe('intervals', () => {
  it('reads an address, a CIDR (masked) and a range; refuses the other family and a reversed range', () => {
    expect(entryInterval('192.0.2.7', 4)).toEqual({ lo: 0xc0000207n, hi: 0xc0000207n });
    expect(entryInterval('192.0.2.77/24', 4)).toEqual({ lo: 0xc0000200n, hi: 0xc00002ffn });
    expect(entryInterval('192.0.2.1-192.0.2.9', 4)).toEqual({ lo: 0xc0000201n, hi: 0xc0000209n });
    expect(entryInterval('2001:db8::1', 4)).toMatch(/IPv6 address in an IPv4 set/);
    expect(entryInterval('192.0.2.9-192.0.2.1', 4)).toMatch(/ends before it starts/);
  });

  it('merges overlapping and adjacent intervals and writes each as an address, a prefix or a range', () => {
    const list = ['192.0.2.0/25', '192.0.2.128/25', '192.0.2.64/26', '203.0.113.10-203.0.113.20', '203.0.113.21'].map(
      (e) => entryInterval(e, 4) as { lo: bigint; hi: bigint },
    );
    expect(mergeIntervals(list).map((i) => intervalJson(i, 4))).toEqual([
      { prefix: { addr: '192.0.2.0', len: 24 } },
      { range: ['203.0.113.10', '203.0.113.21'] },
    ]);
    const v6 = ['2001:db8:100::/48', '2001:db8:100:1::/64', '2001:db8::1'].map(
      (e) => entryInterval(e, 6) as { lo: bigint; hi: bigint },
    );
    expect(mergeIntervals(v6).map((i) => intervalJson(i, 6))).toEqual([
      '2001:db8::1',
      { prefix: { addr: '2001:db8:100::', len: 48 } },
    ]);
  });
});

describe('compileNft', () => {
  it('both families: an inet table, the sets of both, rules in the iptables order, every rule tagged', () => {
    const t = compileNft(LAB, 'both');
    expect([t.family, t.name]).toEqual(['inet', 'dfw-lab']);
    expect(t.sets.map((s) => [s.name, s.type, s.flags])).toEqual([
      ['ipfriends', 'ipv4_addr', []],
      ['ipfriends6', 'ipv6_addr', []],
    ]);
    const rules = t.chains[0]!.rules;
    expect(rules.map((r) => r.comment)).toEqual([
      'dfw:lab:established',
      'dfw:lab:https',
      'dfw:lab:ssh',
      'dfw:lab:ssh',
      'dfw:lab:c2web',
      'dfw:lab:c2web',
      'dfw:lab:sources',
      'dfw:lab:sources',
      'dfw:lab:default',
    ]);
    expect(t.chains[0]!.base).toEqual({ type: 'filter', hook: 'forward', prio: -1, policy: 'accept' });
    expect(ruleText(rules[1]!)).toBe(
      'iifname "eth0" meta l4proto tcp ct status dnat ct original proto-dst 8443 accept comment "dfw:lab:https"',
    );
  });

  it('one family: an ip or ip6 table with only that family (sets, CIDRs, container addresses)', () => {
    const v4 = tableText(compileNft(LAB, 4));
    expect(v4).toMatch(/^table ip dfw-lab \{/);
    expect(v4).not.toMatch(/ip6|2001:db8/);
    const v6 = tableText(compileNft(LAB, 6));
    expect(v6).toMatch(/^table ip6 dfw-lab \{/);
    expect(v6).not.toMatch(/\bip saddr|192\.0\.2|198\.51\.100|172\.17/);
  });
});

describe('readNftRuleset, published ports, compareTables', () => {
  const current = readNftRuleset(read('current', 'input.json'), 'input.json');

  it("reads the real nft output: Docker's two tables and dfw's, with their chains and rules", () => {
    expect(current.version).toBe('1.0.6');
    expect(current.tables.map((t) => `${t.family} ${t.name}`)).toEqual([
      'ip docker-bridges',
      'ip6 docker-bridges',
      'inet dfw-lab',
    ]);
    const docker = findTable(current, 'ip', 'docker-bridges')!;
    expect(docker.chains.find((c) => c.name === 'filter-forward-in__docker0')!.rules.at(-1)!.comment).toBe(
      'UNPUBLISHED PORT DROP',
    );
  });

  it('published ports: the DNAT rules of both families; a policy port nothing publishes is named', () => {
    const ports = nftPublishedPorts(current).map((p) => `${p.family} ${p.proto}/${p.port.from}`);
    expect(ports).toEqual(['ip', 'ip6'].flatMap((f) => [8080, 8443, 2222, 9090, 5432].map((p) => `${f} tcp/${p}`)));
    expect(nftUnpublishedPorts(current, LAB)).toEqual([]);
    const typo = loadPolicy(read('unpublished', 'policy.yaml'), 'p.yaml');
    expect(nftUnpublishedPorts(current, typo).map((u) => `${u.rule.name} ${u.port.from}`)).toEqual(['ssh 2223']);
  });

  it('the live table applied from the policy compares equal; members listed in another order or spelling too', () => {
    const wanted = compileNft(LAB, 'both');
    expect(compareTables(findTable(current, 'inet', 'dfw-lab'), wanted).same).toBe(true);
    const doc = JSON.parse(read('current', 'input.json')) as { nftables: Record<string, Record<string, unknown>>[] };
    const set = doc.nftables.find((i) => i.set?.name === 'ipfriends')!.set!;
    set.elem = [{ prefix: { addr: '192.0.2.10', len: 32 } }];
    const respelled = readNftRuleset(JSON.stringify(doc), 'x.json');
    expect(compareTables(findTable(respelled, 'inet', 'dfw-lab'), wanted).same).toBe(true);
    set.elem = ['192.0.2.10', '192.0.2.11'];
    const added = compareTables(findTable(readNftRuleset(JSON.stringify(doc), 'x.json'), 'inet', 'dfw-lab'), wanted);
    expect(added.same).toBe(false);
    expect(added.live).toContain('192.0.2.11,');
    expect(compareTables(undefined, wanted)).toMatchObject({ same: false, live: '' });
  });
});

describe('nftBackendHint (dfw transform on an iptables dump)', () => {
  const dump = (body: string) =>
    parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${body}COMMIT\n`);

  it("none for a dump with Docker's chains", () => {
    const docker29 = readFileSync(join(FIXTURES, 'iptables', 'docker29.nft.v4'), 'utf8');
    expect(nftBackendHint(parseIptables(docker29))).toBeUndefined();
    expect(nftBackendHint(parseIptables('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'))).toBeUndefined();
  });

  it('an orphaned FORWARD jump to DOCKER-USER without Docker chains: the nftables backend, and dfw nft', () => {
    const hint = nftBackendHint(dump(':DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n'));
    expect(hint).toMatch(/FORWARD still jumps to DOCKER-USER: this host likely runs Docker's nftables backend/);
    expect(hint).toContain('nft -j list ruleset | dfw nft -p POLICY | nft -f -');
  });

  it('no Docker chain at all: Docker not started, or its nftables backend', () => {
    expect(nftBackendHint(dump(''))).toMatch(
      /none of Docker's chains: Docker has not started yet, or it runs its nftables backend/,
    );
  });
});
