import type { SetTypeName } from '../src/ipset/settypes.js';
// reconcileIpsets: the restore file for each mode, what is left alone, and the errors that
// explain what ipset cannot do.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpState, parseIpset, reconcileIpsets } from '../src/ipset/index.js';
import type { IpsetSpec } from '../src/policy/types.js';

const fixture = (name: string) =>
  parseIpset(
    readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ipset', `${name}.ipset`), 'utf8'),
    `${name}.ipset`,
  );

const spec = (
  name: string,
  type: SetTypeName,
  entries: string[],
  options: IpsetSpec['options'] = {},
  family: IpsetSpec['family'] = 'inet',
): IpsetSpec => ({
  name,
  type,
  family,
  options,
  entries,
});

const friends = (entries: string[]) => spec('ipfriends', 'hash:ip', entries, { hashsize: 1024, maxelem: 65536 });

describe('reconcileIpsets', () => {
  const current = fixture('docker-allowlist'); // ipfriends: 203.0.113.7, 198.51.100.22

  it('writes nothing for a set whose members already match (in any form)', () => {
    for (const mode of ['swap', 'flush', 'incremental'] as const) {
      const r = reconcileIpsets(current, [friends(['198.51.100.22', '203.0.113.7/32', '203.0.113.7'])], mode);
      expect(r.text, mode).toBe('');
      expect(r.changed).toBe(false);
      expect(r.diff).toBe('');
      expect(r.changes).toEqual([
        { set: 'ipfriends', type: 'hash:ip', action: 'unchanged', added: [], removed: [], header: [] },
      ]);
    }
  });

  it('swap: fills a temporary set, swaps it in and destroys it', () => {
    const r = reconcileIpsets(current, [friends(['203.0.113.7', '192.0.2.9'])], 'swap');
    expect(r.text).toBe(
      [
        'create ipfriends-dfwtmp hash:ip family inet hashsize 1024 maxelem 65536',
        'add ipfriends-dfwtmp 203.0.113.7',
        'add ipfriends-dfwtmp 192.0.2.9',
        'swap ipfriends ipfriends-dfwtmp',
        'destroy ipfriends-dfwtmp',
        '',
      ].join('\n'),
    );
    expect(r.changes[0]).toMatchObject({
      action: 'replace',
      added: ['192.0.2.9'],
      removed: ['198.51.100.22'],
      temp: 'ipfriends-dfwtmp',
    });
    expect(r.diff).toBe(
      [
        '--- ipset (current)',
        '+++ ipset (policy)',
        '@@ -1,3 +1,3 @@',
        ' create ipfriends hash:ip family inet',
        '-add ipfriends 198.51.100.22',
        '+add ipfriends 192.0.2.9',
        ' add ipfriends 203.0.113.7',
        '',
      ].join('\n'),
    );
  });

  it('flush: create -exist, flush, add', () => {
    const r = reconcileIpsets(current, [friends(['203.0.113.7', '192.0.2.9'])], 'flush');
    expect(r.text).toBe(
      [
        'create -exist ipfriends hash:ip family inet hashsize 1024 maxelem 65536',
        'flush ipfriends',
        'add ipfriends 203.0.113.7',
        'add ipfriends 192.0.2.9',
        '',
      ].join('\n'),
    );
  });

  it('incremental: del -exist and add -exist for the differences only', () => {
    const r = reconcileIpsets(current, [friends(['203.0.113.7', '192.0.2.9'])], 'incremental');
    expect(r.text).toBe(['del -exist ipfriends 198.51.100.22', 'add -exist ipfriends 192.0.2.9', ''].join('\n'));
    expect(r.changes[0]).toMatchObject({ action: 'update' });
  });

  it('creates a missing set in every mode (no sets at all without a dump)', () => {
    const want = [spec('new', 'hash:net', ['10.0.0.0/8', '10.1.2.3/32'])];
    expect(reconcileIpsets(undefined, want, 'swap').text).toBe(
      'create new hash:net family inet\nadd new 10.0.0.0/8\nadd new 10.1.2.3\n',
    );
    expect(reconcileIpsets(undefined, want, 'flush').text).toBe(
      'create -exist new hash:net family inet\nflush new\nadd new 10.0.0.0/8\nadd new 10.1.2.3\n',
    );
    expect(reconcileIpsets(undefined, want, 'incremental').text).toBe(
      'create -exist new hash:net family inet\nadd -exist new 10.0.0.0/8\nadd -exist new 10.1.2.3\n',
    );
  });

  it('never touches sets the policy does not name', () => {
    const r = reconcileIpsets(fixture('hash-ip'), [spec('allow4', 'hash:ip', ['192.0.2.1'])], 'swap');
    expect(r.text).not.toMatch(/allow6|blocks24|masked|opts/);
  });

  it('keeps the temporary name within 31 bytes and away from existing sets', () => {
    const long = 'a'.repeat(31);
    const dump = parseIpset(
      `create ${long} hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1\ncreate ${'a'.repeat(24)}-dfwtmp hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x2\n`,
      'd',
    );
    const r = reconcileIpsets(dump, [spec(long, 'hash:ip', ['10.0.0.1'])], 'swap');
    const temp = r.changes[0]?.temp ?? '';
    expect(temp).toBe(`${'a'.repeat(23)}-dfwtmp2`);
    expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(31);
  });

  it('refuses to change a type or family, and says how', () => {
    for (const mode of ['swap', 'flush', 'incremental'] as const) {
      expect(() => reconcileIpsets(current, [spec('ipfriends', 'hash:net', ['10.0.0.0/8'])], mode)).toThrow(
        /ipfriends is hash:ip family inet on the host, but the policy wants hash:net family inet: ipset cannot swap .*ipset destroy ipfriends.*new name/,
      );
      expect(() =>
        reconcileIpsets(current, [spec('ipfriends', 'hash:ip', ['2001:db8::1'], {}, 'inet6')], mode),
      ).toThrow(/family inet6/);
    }
  });

  it('rebuilds a set whose header differs in swap mode, and refuses the others (issue 22 item 5)', () => {
    const want = [spec('ipfriends', 'hash:ip', ['203.0.113.7', '198.51.100.22'], { maxelem: 4096 })];
    const swap = reconcileIpsets(current, want, 'swap');
    expect(swap.changes[0]).toMatchObject({ action: 'replace', header: ['maxelem: 65536 → 4096'] });
    expect(swap.text).toContain('create ipfriends-dfwtmp hash:ip family inet maxelem 4096\n');
    for (const mode of ['flush', 'incremental'] as const) {
      expect(() => reconcileIpsets(current, want, mode)).toThrow(
        /header differs from the policy \(maxelem: 65536 → 4096\), and --mode \w+ cannot change a header .*use --mode swap/,
      );
    }
  });

  it('refuses flush/incremental when the entries need an extension the set lacks', () => {
    const want = [spec('ipfriends', 'hash:ip', ['203.0.113.7 comment "me"'], { comment: true })];
    expect(() => reconcileIpsets(current, want, 'incremental')).toThrow(/without comment support.*--mode swap/);
    expect(reconcileIpsets(current, want, 'swap').text).toContain('add ipfriends-dfwtmp 203.0.113.7 comment "me"');
  });

  it('compares options that persist (comment, nomatch) but not timeouts or counters', () => {
    const nets = fixture('hash-net');
    const same = spec('netopts', 'hash:net', ['198.51.100.0/24 comment "x y"'], {
      timeout: 0,
      counters: true,
      comment: true,
    });
    expect(reconcileIpsets(nets, [same], 'incremental').text).toBe('');
    const other = spec('netopts', 'hash:net', ['198.51.100.0/24 comment "z"'], {
      timeout: 0,
      counters: true,
      comment: true,
    });
    expect(reconcileIpsets(nets, [other], 'incremental').text).toBe(
      'del -exist netopts 198.51.100.0/24\nadd -exist netopts 198.51.100.0/24 comment "z"\n',
    );
  });

  it('updates a list:set in order, adding before the next member that stays', () => {
    const lists = fixture('list-set'); // allow-any: web4, admin4, ssh4 (comment "ssh hosts")
    const want = spec('allow-any', 'list:set', ['admin4', 'web4', 'ssh4 comment "ssh hosts"'], {
      size: 8,
      comment: true,
    });
    // admin4 and web4 swapped places: the kept members are out of order, so the list is rebuilt.
    expect(reconcileIpsets(lists, [want], 'incremental').text).toBe(
      'del -exist allow-any web4\ndel -exist allow-any admin4\ndel -exist allow-any ssh4\nadd -exist allow-any admin4\nadd -exist allow-any web4\nadd -exist allow-any ssh4 comment "ssh hosts"\n',
    );
    const insert = spec('allow-any', 'list:set', ['web4', 'small4', 'admin4', 'ssh4 comment "ssh hosts"'], {
      size: 8,
      comment: true,
    });
    const members = [spec('small4', 'hash:ip', ['192.0.2.1'])];
    expect(reconcileIpsets(lists, [insert, ...members], 'incremental').text).toBe(
      'create -exist small4 hash:ip family inet\nadd -exist small4 192.0.2.1\nadd -exist allow-any small4 before admin4\n',
    );
    expect(() =>
      reconcileIpsets(lists, [spec('allow-any', 'list:set', ['nosuch'], { comment: true })], 'swap'),
    ).toThrow(/member set nosuch is neither/);
  });

  it('validates the policy sets with paths in messages', () => {
    expect(() => reconcileIpsets(undefined, [spec('s', 'hash:ip', ['10.0.0.1', '2001:db8::1'])])).toThrow(
      /ipsets\.s\.entries\[1\]: "2001:db8::1" is an IPv6 address, but the set is family inet/,
    );
    expect(() => reconcileIpsets(undefined, [spec('s', 'hash:ip', ['10.0.0.1 comment "x"'])])).toThrow(
      /ipsets\.s\.entries\[0\].*comment support/,
    );
    expect(() => reconcileIpsets(undefined, [spec('s', 'bitmap:ip', ['10.0.0.1'])])).toThrow(
      /ipsets\.s\.options: bitmap:ip needs a range/,
    );
    expect(() => reconcileIpsets(undefined, [spec('s', 'hash:ip', ['10.0.0.1 nomatch'])])).toThrow(
      /nomatch is not an option/,
    );
    expect(() => reconcileIpsets(undefined, [spec('s', 'hash:ip', ['10.0.0.1'], { probes: 2 })])).toThrow(
      /not an option of hash:ip|ignored by ipset/,
    );
    expect(() =>
      reconcileIpsets(undefined, [spec('s', 'hash:ip', ['10.0.0.1', '10.0.0.1 comment "a"'], { comment: true })]),
    ).toThrow(/other options/);
    expect(() => reconcileIpsets(undefined, [spec('s'.repeat(32), 'hash:ip', [])])).toThrow(
      /32 bytes long \(at most 31\)/,
    );
  });

  it('orders member sets before the lists that use them', () => {
    const r = reconcileIpsets(undefined, [spec('l', 'list:set', ['a']), spec('a', 'hash:ip', ['10.0.0.1'])], 'swap');
    expect(r.text).toBe('create a hash:ip family inet\nadd a 10.0.0.1\ncreate l list:set\nadd l a\n');
  });
});

describe('dumpState with membersOf (what a reconcile reads)', () => {
  const text = [
    'create keep hash:ip family inet hashsize 1024 maxelem 65536',
    'create big hash:net family inet hashsize 1024 maxelem 65536',
    'add keep 192.0.2.1',
    'add big 198.51.100.0/24',
    'add big 203.0.113.0/25',
    '',
  ].join('\n');

  it('keeps the members of the named sets only, and every set with its header', () => {
    const all = dumpState(parseIpset(text, 's'));
    const some = dumpState(parseIpset(text, 's'), { membersOf: new Set(['keep']) });
    expect([...some.keys()]).toEqual(['keep', 'big']);
    expect(some.get('big')?.header).toEqual(all.get('big')?.header);
    expect([...(some.get('keep')?.members.keys() ?? [])]).toEqual(['192.0.2.1']);
    expect(all.get('big')?.members.size).toBe(2);
    expect(some.get('big')?.members.size).toBe(0);
  });

  it('is ignored when the dump renames or swaps sets (a name changes hands)', () => {
    const renamed = `${text}rename big other\nrename keep big\n`;
    const some = dumpState(parseIpset(renamed, 's'), { membersOf: new Set(['big']) });
    expect([...(some.get('big')?.members.keys() ?? [])]).toEqual(['192.0.2.1']);
    expect(some.get('other')?.members.size).toBe(2);
  });

  it('still refuses an add to a set the dump never creates', () => {
    expect(() =>
      dumpState(parseIpset(`${text}add nowhere 192.0.2.9\n`, 's'), { membersOf: new Set(['keep']) }),
    ).toThrow(/used before the dump creates it/);
  });
});
