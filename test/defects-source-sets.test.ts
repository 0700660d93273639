// Issue 22, item 4: a `from`/`sources` set is matched with `--match-set NAME src`, which matches
// the source address only in sets of addresses. Other types are refused at their YAML position;
// real packets show what the refused rules did (and that the accepted ones match the source).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DfwSyntaxError } from '../src/errors.js';
import { loadPolicy } from '../src/policy/load.js';
import { dfw } from './support/cli.js';
import { FIXTURES } from './support/fixtures.js';
import { describeNetns, Netns } from './support/netns.js';
import { probe, startServer, type Server } from './lab/servers.js';

const policy = (set: string, where: 'from' | 'sources', list = '') =>
  `version: 1
name: t
external: [eth0]
${where === 'from' ? 'allow:\n  - {name: web, proto: tcp, port: 80, from: [set:s]}' : 'sources: [set:s]'}
ipsets:
  s: ${set}
${list}`;

/** [type as written, entries, accepted] */
const TYPES: [string, string, boolean][] = [
  ['hash:ip', '[192.0.2.10]', true],
  ['hash:net', '[192.0.2.0/28]', true],
  ['bitmap:ip', '[192.0.2.10]', true],
  ['"hash:ip,port"', '["192.0.2.10,tcp:80"]', false],
  ['"hash:net,port"', '["192.0.2.0/24,tcp:80"]', false],
  ['"hash:net,iface"', '["192.0.2.0/24,eth0"]', false],
  ['"hash:ip,port,ip"', '["192.0.2.10,tcp:80,172.17.0.2"]', false],
  ['"hash:ip,mark"', '["192.0.2.10,0x1"]', false],
  ['bitmap:port', '["1024-65535"]', false],
  ['hash:mac', '["02:00:00:00:00:01"]', false],
];

function setYaml(type: string, entries: string): string {
  const range =
    type === 'bitmap:ip'
      ? ', options: {range: 192.0.2.0/24}'
      : type === 'bitmap:port'
        ? ', options: {range: 1024-65535}'
        : '';
  return `{type: ${type}${range}, entries: ${entries}}`;
}

describe('source sets must hold addresses (issue 22 item 4)', () => {
  for (const where of ['from', 'sources'] as const) {
    it.each(TYPES)(`${where}: set:s of type %s (entries %s) is accepted: %s`, (type, entries, ok) => {
      const text = policy(setYaml(type, entries), where);
      if (ok) {
        expect(loadPolicy(text, 'p.yaml').ipsets[0]!.name).toBe('s');
        return;
      }
      let err: unknown;
      try {
        loadPolicy(text, 'p.yaml');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DfwSyntaxError);
      const e = err as DfwSyntaxError;
      // At the set:s item, not at the set's declaration.
      expect(e.message).toMatch(
        where === 'from'
          ? /^p\.yaml:5:\d+: allow\[0\]\.from\[0\]: set s is a /
          : /^p\.yaml:4:\d+: sources\[0\]: set s is a /,
      );
      expect(e.message).toContain('a source set must hold addresses');
    });
  }

  it('a list:set is checked through the member sets the policy declares', () => {
    const list = (member: string) =>
      `version: 1\nname: t\nexternal: [eth0]\nsources: [set:l]\nipsets:\n  l: {type: list:set, entries: [m]}\n  m: ${member}\n`;
    expect(() => loadPolicy(list('{type: hash:ip, entries: [192.0.2.10]}'), 'p.yaml')).not.toThrow();
    expect(() => loadPolicy(list('{type: "hash:ip,port", entries: ["192.0.2.10,tcp:80"]}'), 'p.yaml')).toThrow(
      /sources\[0\]: set l is a list:set holding m, a hash:ip,port set/,
    );
  });

  it('a set of the host named with --ipsets is checked the same way, at the policy position', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfw-defects-sets-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), 'version: 1\nname: t\nexternal: [eth0]\nsources: [set:hostports]\n');
      writeFileSync(
        join(dir, 'sets'),
        'create hostports hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1\n',
      );
      const r = dfw([
        'transform',
        join(FIXTURES, 'iptables', 'docker29.legacy.v4'),
        '-p',
        join(dir, 'p.yaml'),
        '--ipsets',
        join(dir, 'sets'),
      ]);
      expect(r.stdout).toBe('');
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /p\.yaml:4:\d+: sources\[0\]: set hostports is a hash:ip,port set: .*\(in the ipset dump\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// A client and a server on one link; INPUT of the server holds the chain dfw writes for the policy
// (`dfw transform --no-dump`), or, for a refused type, the same rule with that set (what dfw wrote
// before). The client connects from 192.0.2.10 (in the set) and 192.0.2.66 (not in it).
describeNetns(
  'what --match-set NAME src does with real packets',
  () => {
    let client: Netns;
    let server: Netns;
    let srv: Server;
    beforeAll(async () => {
      client = Netns.create('defects-sets-c');
      server = Netns.create('defects-sets-s');
      server.ok('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client.name]);
      server.ok('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
      server.ok('ip', ['link', 'set', 'eth0', 'up']);
      client.ok('ip', ['addr', 'add', '192.0.2.10/24', 'dev', 'eth0']);
      client.ok('ip', ['addr', 'add', '192.0.2.66/24', 'dev', 'eth0']);
      client.ok('ip', ['link', 'set', 'eth0', 'up']);
      srv = await startServer(server, 'srv', [80]);
    });
    afterAll(() => {
      srv?.stop();
      client?.delete();
      server?.delete();
    });

    /** Loads the set and the chain, then probes port 80 from both client addresses. */
    type Seen = { friend: 'open' | 'timeout'; stranger: 'open' | 'timeout' };
    async function seen(type: string, entries: string, want: Seen): Promise<Seen> {
      server.run('iptables-nft', ['-F', 'INPUT']);
      server.run('iptables-nft', ['-F', 'DFW-t']);
      server.run('iptables-nft', ['-X', 'DFW-t']);
      server.run('ipset', ['destroy', 's']);
      const dir = mkdtempSync(join(tmpdir(), 'dfw-defects-sets-'));
      try {
        const accepted = policy(setYaml(type, entries), 'sources');
        const probeType = type.replace(/"/g, '');
        // The refused types: the same policy with a hash:ip set, and the set swapped for the refused one.
        const yaml = TYPES.find((t) => t[0] === type)![2]
          ? accepted
          : policy(setYaml('hash:ip', '[192.0.2.10]'), 'sources');
        writeFileSync(join(dir, 'p.yaml'), yaml);
        const sets = dfw(['ipset', '-p', join(dir, 'p.yaml'), '--mode', 'flush'], '');
        expect(sets.status).toBe(0);
        const restore = TYPES.find((t) => t[0] === type)![2]
          ? sets.stdout
          : `create s ${probeType}${probeType.startsWith('bitmap') ? ' range 1024-65535' : ''}\nadd s ${JSON.parse(entries.replace(/'/g, '"'))[0]}\n`;
        server.ok('ipset', ['restore'], restore);
        const chain = dfw(['transform', '--no-dump', '--mode', 'noflush', '-p', join(dir, 'p.yaml')]);
        expect(chain.status).toBe(0);
        server.ok('iptables-nft-restore', ['--noflush'], chain.stdout);
        server.ok('iptables-nft', ['-A', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'DFW-t']);
        expect(server.ok('iptables-nft', ['-S', 'DFW-t'])).toContain('--match-set s src');
        const [friend, stranger] = await probe(type, [
          { ns: client, from: 'friend', src: '192.0.2.10', dst: '192.0.2.1', port: 80, expect: want.friend },
          { ns: client, from: 'stranger', src: '192.0.2.66', dst: '192.0.2.1', port: 80, expect: want.stranger },
        ]);
        return { friend: friend!.seen, stranger: stranger!.seen } as Seen;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it.each<[string, string, Seen]>([
      ['hash:ip', '[192.0.2.10]', { friend: 'open', stranger: 'timeout' }],
      ['hash:net', '[192.0.2.0/28]', { friend: 'open', stranger: 'timeout' }],
      ['bitmap:ip', '[192.0.2.10]', { friend: 'open', stranger: 'timeout' }],
      // Refused by dfw now; what the rule did: the allowed host dropped, or everyone let in.
      ['"hash:ip,port"', '["192.0.2.10,tcp:80"]', { friend: 'timeout', stranger: 'timeout' }],
      ['bitmap:port', '["1024-65535"]', { friend: 'open', stranger: 'open' }],
    ])('set type %s', async (type, entries, expected) => {
      expect(await seen(type, entries, expected)).toEqual(expected);
    });
  },
  ['iptables-nft', 'iptables-nft-restore', 'ipset'],
);
