// dfw ipset against the real kernel: in a network namespace, load a fixture's sets, restore
// dfw's output with the real `ipset restore`, check that `ipset save` shows exactly the wanted
// members, and that dfw then has nothing left to do. Needs root, ip, ipset and `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
// The package's bin, as users run it.
import { CLI as cli } from './support/cli.js';
import { type IpsetSpec } from '../src/policy/types.js';
import {
  type SetHeader,
  type SetState,
  dumpState,
  headerOptions,
  memberKey,
  parseIpset,
  resolveIpsets,
} from '../src/ipset/index.js';
import { Netns, describeNetns } from './support/netns.js';

const root = join(import.meta.dirname, '..');
const fixtureDir = join(root, 'fixtures', 'ipset');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.ipset'))
  .sort();
const MODES = ['swap', 'flush', 'incremental'] as const;

const work = mkdtempSync(join(tmpdir(), 'dfw-ipset-netns-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let namespaces: Netns[] = [];
afterEach(() => {
  // Every namespace goes, whether the test passed or not.
  for (const ns of namespaces) ns.delete();
  namespaces = [];
});
function netns(label: string): Netns {
  const ns = Netns.create(label);
  namespaces.push(ns);
  return ns;
}

function dfw(args: string[], input: string) {
  const r = spawnSync(process.execPath, [cli, 'ipset', ...args], { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const v4 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** A member that the set does not have yet, valid for its type and family. */
function sample(h: SetHeader, listCandidates: string[]): string | undefined {
  const six = h.family === 6;
  const comment = h.comment ? ' comment "added by dfw test"' : '';
  const pick = (a: string, b: string) => (six ? b : a) + comment;
  switch (h.type) {
    case 'hash:ip':
      return pick('192.0.2.200', '2001:db8::200');
    case 'hash:net':
      return pick('203.0.113.0/24', '2001:db8:ff::/48');
    case 'hash:ip,port':
      return pick('192.0.2.200,udp:5353', '2001:db8::200,tcp:8443');
    case 'hash:ip,port,ip':
      return pick('192.0.2.200,tcp:1,192.0.2.201', '2001:db8::200,tcp:1,2001:db8::201');
    case 'hash:ip,port,net':
      return pick('192.0.2.200,tcp:1,10.9.0.0/16', '2001:db8::200,tcp:1,2001:db8:9::/48');
    case 'hash:net,port':
      return pick('10.200.0.0/16,udp:5', '2001:db8:aa::/48,tcp:1');
    case 'hash:net,iface':
      return pick('10.200.0.0/16,eth9', '2001:db8:aa::/48,eth9');
    case 'bitmap:ip': {
      const block = h.netmask === undefined ? 1 : 2 ** (32 - h.netmask);
      return v4((h.range?.from ?? 0) + 9 * block) + comment;
    }
    case 'bitmap:ip,mac':
      return `${v4((h.range?.from ?? 0) + 9)},02:00:00:00:00:09${comment}`;
    case 'bitmap:port':
      return String((h.range?.from ?? 0) + 5) + comment;
    case 'list:set':
      return listCandidates[0] === undefined ? undefined : listCandidates[0] + comment;
    default:
      return undefined;
  }
}

/** The policy form of a set's header (what a user would write to keep it as it is). */
function policyOptions(h: SetHeader): IpsetSpec['options'] {
  const out: Record<string, string | number | boolean> = {};
  for (const o of headerOptions(h)) {
    if (o.name === 'family' || o.name === 'initval' || o.name === 'bucketsize') continue;
    if (o.value === undefined) out[o.name] = true;
    else out[o.name] = /^[0-9]+$/.test(o.value) ? Number(o.value) : o.value;
  }
  return out;
}

/**
 * The policy for a fixture: its first set is left out (never touched), its second kept as it
 * is (no lines), every other one loses its first member and gains a new one, and a new set is
 * created.
 */
function policyFor(state: Map<string, SetState>): { specs: IpsetSpec[]; untouched?: string; unchanged?: string } {
  const sets = [...state.values()];
  const untouched = sets.length >= 3 ? sets[0]?.name : undefined;
  const unchanged = sets.length >= 4 ? sets[1]?.name : undefined;
  const specs: IpsetSpec[] = [];
  for (const s of sets) {
    if (s.name === untouched) continue;
    let entries = [...s.members.values()].map(memberKey);
    if (s.name !== unchanged) {
      const nonLists = sets.filter((x) => x.header.type !== 'list:set' && !s.members.has(x.name)).map((x) => x.name);
      if (entries.length > 1) entries = entries.slice(1);
      const add = sample(s.header, nonLists);
      if (add !== undefined) entries.push(add);
    }
    specs.push({
      name: s.name,
      type: s.header.type,
      family: s.header.family === 6 ? 'inet6' : 'inet',
      options: policyOptions(s.header),
      entries,
    });
  }
  specs.push({
    name: 'dfw-new',
    type: 'hash:net',
    family: 'inet',
    options: { maxelem: 1024 },
    entries: ['198.18.0.0/15', '100.64.0.1'],
  });
  return { specs, untouched, unchanged };
}

function writePolicy(name: string, specs: IpsetSpec[]): string {
  const ipsets = Object.fromEntries(
    specs.map((s) => [s.name, { type: s.type, family: s.family, options: s.options, entries: s.entries }]),
  );
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify({ version: 1, name: 'ipsettest', external: ['eth0'], ipsets }, null, 2));
  return file;
}

/** Members of each set of a save, as dfw compares them (list order for list:set, sorted otherwise). */
function membersOf(save: string): Map<string, string[]> {
  const state = dumpState(parseIpset(save, 'save'));
  return new Map(
    [...state.values()].map((s) => {
      const keys = [...s.members.values()].map(memberKey);
      return [s.name, s.header.type === 'list:set' ? keys : keys.sort()];
    }),
  );
}

/** The sets the lines of a restore file act on (not the members they add to a list:set). */
function setsWritten(text: string): string[] {
  return parseIpset(text, 'out').lines.flatMap((l) =>
    'set' in l && l.set !== undefined ? [l.set, ...('to' in l ? [l.to] : [])] : [],
  );
}

function linesOf(save: string, set: string): string[] {
  return save.split('\n').filter((l) => l.split(' ')[1] === set);
}

describeNetns(
  'dfw ipset with the real ipset restore',
  () => {
    it('has a built CLI (npm run build)', () => expect(existsSync(cli)).toBe(true));

    for (const f of fixtures) {
      for (const mode of MODES) {
        it(`${f}, --mode ${mode}: restore gives exactly the policy's members, then nothing to do`, () => {
          const ns = netns(`ipset-${mode}`);
          ns.ok('ipset', ['restore'], readFileSync(join(fixtureDir, f), 'utf8'));
          const before = ns.ok('ipset', ['save']);
          const { specs, untouched, unchanged } = policyFor(dumpState(parseIpset(before, f)));
          const policy = writePolicy(`${f}-${mode}`, specs);

          const out = dfw(['-', '--policy', policy, '--mode', mode], before);
          expect(out.stderr).toBe('');
          expect(out.status).toBe(0);
          if (unchanged !== undefined) expect(setsWritten(out.stdout)).not.toContain(unchanged);
          if (untouched !== undefined) expect(setsWritten(out.stdout)).not.toContain(untouched);
          const check = dfw(['-', '--policy', policy, '--mode', mode, '--check'], before);
          expect(check.status).toBe(1);
          expect(check.stdout).toBe('');

          ns.ok('ipset', ['restore'], out.stdout);
          const after = ns.ok('ipset', ['save']);

          // Exactly the wanted members: what dfw computes for the policy alone, set by set.
          const got = membersOf(after);
          for (const w of resolveIpsets(specs, parseIpset(before, f))) {
            const want = w.header.type === 'list:set' ? w.members : [...w.members].sort();
            expect(got.get(w.name), w.name).toEqual(want);
          }
          if (untouched !== undefined) expect(linesOf(after, untouched)).toEqual(linesOf(before, untouched));
          expect(after).not.toContain('-dfwtmp');

          // Run again on the new state: nothing to do.
          const again = dfw(['-', '--policy', policy, '--mode', mode], after);
          expect(again.status).toBe(0);
          expect(again.stdout).toBe('');
          const recheck = dfw(['-', '--policy', policy, '--mode', mode, '--check'], after);
          expect(recheck.status).toBe(0);
          expect(recheck.stdout + recheck.stderr).toBe('');
        });
      }
    }

    it('swap replaces the members of a set an iptables rule uses, and the rule keeps matching it', () => {
      const ns = netns('ipset-swap-ipt');
      ns.ok('ipset', ['restore'], readFileSync(join(fixtureDir, 'docker-allowlist.ipset'), 'utf8'));
      ns.ok('iptables', ['-A', 'INPUT', '-m', 'set', '--match-set', 'ipfriends', 'src', '-j', 'ACCEPT']);
      const before = ns.ok('ipset', ['save']);
      const policy = writePolicy('swap-ipt', [
        {
          name: 'ipfriends',
          type: 'hash:ip',
          family: 'inet',
          options: { hashsize: 4096 },
          entries: ['203.0.113.7', '192.0.2.50', '192.0.2.51'],
        },
      ]);
      const out = dfw(['-', '-p', policy], before);
      expect(out.status).toBe(0);
      expect(out.stdout).toContain('swap ipfriends ipfriends-dfwtmp\ndestroy ipfriends-dfwtmp\n');
      ns.ok('ipset', ['restore'], out.stdout);

      expect(membersOf(ns.ok('ipset', ['save'])).get('ipfriends')).toEqual(['192.0.2.50', '192.0.2.51', '203.0.113.7']);
      expect(ns.ok('iptables', ['-S', 'INPUT'])).toContain('-A INPUT -m set --match-set ipfriends src -j ACCEPT');
      // The rule's reference moved with the name; the temporary set is gone.
      expect(ns.ok('ipset', ['list', '-t', 'ipfriends'])).toMatch(/References: 1/);
      expect(ns.ok('ipset', ['list', '-n'])).toBe('ipfriends\n');
      // The swapped-in set has the policy's header (docs/format.md#replacing-a-set-atomically).
      expect(ns.ok('ipset', ['save'])).toMatch(/^create ipfriends hash:ip family inet hashsize 4096 /);
      const recheck = dfw(['-', '-p', policy, '--check'], ns.ok('ipset', ['save']));
      expect(recheck.status).toBe(0);
    });

    it('a type change is refused (exit 2, nothing on stdout) while the rule holds the set', () => {
      const ns = netns('ipset-type');
      ns.ok('ipset', ['restore'], readFileSync(join(fixtureDir, 'docker-allowlist.ipset'), 'utf8'));
      ns.ok('iptables', ['-A', 'INPUT', '-m', 'set', '--match-set', 'ipfriends', 'src', '-j', 'ACCEPT']);
      const policy = writePolicy('type-change', [
        { name: 'ipfriends', type: 'hash:net', family: 'inet', options: {}, entries: ['192.0.2.0/24'] },
      ]);
      const r = dfw(['-', '-p', policy], ns.ok('ipset', ['save']));
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/ipset cannot swap sets whose type or family differ/);
      // What dfw refuses to write would indeed fail: the kernel refuses the swap.
      const tried = ns.run('ipset', ['restore'], 'create t hash:net family inet\nswap ipfriends t\n');
      expect(tried.status).not.toBe(0);
      expect(tried.stderr).toMatch(/type does not match/);
    });
  },
  ['ipset', 'iptables'],
);
