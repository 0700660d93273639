// Address items of a policy: `from` and `sources` (any, an address, a CIDR or set:NAME) and `to`
// (container addresses).
//
// - `any` cannot be mixed with other items; `0.0.0.0/0` and `::/0` are refused ("write any").
//   `sources` and `to` accept no `any` at all.
// - Items that are the same after normalisation (10.1.2.3/8 and 10.0.0.0/8) are refused as
//   duplicates, in every list.
// - A `set:NAME` source is matched with `-m set --match-set NAME src`: one dimension, the
//   source address. Only sets whose members are IP addresses or networks match that way
//   (ADDRESS_SET_TYPES); the kernel never matches a set of more dimensions with one flag
//   (hash:ip,port: the allowed hosts would be dropped), and a bitmap:port set would match the
//   client's source port (everyone let in). Other types are refused where the set is named.

import type { SetTypeName } from '../ipset/settypes.js';
import { parseCidr } from '../net/cidr.js';
import { formatPath, type Path } from '../text/path.js';
import { quoted } from '../text/quote.js';
import { checkSetName } from './names.js';
import { PolicyPathError } from './compile.js';
import type { Policy, Source } from './types.js';
import { type Field, type Item, type YamlReader, describe } from './yaml-reader.js';

export type CidrSource = Extract<Source, { kind: 'cidr' }>;

/** A `from`/`sources` item as read, with where it was. */
export interface SourceAt {
  source: Source;
  item: Item;
}

type Role = 'from' | 'sources' | 'to';

function sourceKey(s: Source): string {
  return s.kind === 'any' ? 'any' : s.kind === 'set' ? `set:${s.name}` : s.cidr;
}

/** `from` (any allowed) or `sources` (no any). */
export function readSources(r: YamlReader, f: Field, path: Path, role: 'from' | 'sources'): SourceAt[] {
  const expected = role === 'from' ? 'any, an address, a CIDR or set:NAME' : 'an address, a CIDR or set:NAME';
  const node = r.present(f, path, `${expected}, or a list of these`);
  const items = r.list(node, path, true, expected);
  if (items.length === 0 && role === 'from') {
    r.fail(node, path, 'an empty list lets nobody through: remove the rule, or write any');
  }
  const out: SourceAt[] = [];
  for (const it of items) {
    const s = r.str(it.node, it.path, expected, it.node);
    const source = sourceItem(r, s, it, role, expected);
    const key = sourceKey(source);
    const dup = out.find((o) => sourceKey(o.source) === key);
    if (dup) {
      const first = formatPath(dup.item.path);
      const msg =
        quoted(s) === describe(dup.item.node)
          ? `${quoted(s)} is listed twice; also ${first}`
          : `${quoted(s)} is the same as ${first} (both are ${key})`;
      r.fail(it.node, it.path, msg);
    }
    out.push({ source, item: it });
  }
  const any = out.length > 1 ? out.find((o) => o.source.kind === 'any') : undefined;
  if (any)
    r.fail(
      any.item.node,
      any.item.path,
      '"any" cannot be combined with other sources: it already lets everyone through',
    );
  return out;
}

function sourceItem(r: YamlReader, s: string, it: Item, role: 'from' | 'sources', expected: string): Source {
  if (s === 'any') {
    if (role === 'sources') {
      r.fail(
        it.node,
        it.path,
        '"any" is not allowed here: sources reach every port, so it would let everyone through; list trusted sources, or use an allow rule with from: any',
      );
    }
    return { kind: 'any' };
  }
  if (s.startsWith('set:')) {
    const name = s.slice(4);
    const bad = checkSetName(name);
    if (bad !== undefined) r.fail(it.node, it.path, bad);
    return { kind: 'set', name };
  }
  return readCidr(r, s, it, role, expected);
}

function readCidr(r: YamlReader, s: string, it: Item, role: Role, expected: string): CidrSource {
  if (/^(set|ipset)\s*[:=]/i.test(s) || /^all$/i.test(s) || /^any$/i.test(s) || /^0\/0$/.test(s)) {
    const hint = /^0\/0$|^all$/i.test(s)
      ? ' (everyone is written any)'
      : /^any$/i.test(s)
        ? ' ("any" is lowercase)'
        : ' (sets are written set:NAME)';
    r.fail(it.node, it.path, `expected ${expected}, found ${quoted(s)}${hint}`);
  }
  const c = parseCidr(s);
  if (!c.ok) r.fail(it.node, it.path, `expected ${expected}, found ${quoted(s)}: ${c.reason}`);
  const { family, cidr, prefix } = c.value;
  if (prefix === 0) {
    const why =
      role === 'from'
        ? 'write any'
        : role === 'sources'
          ? 'it would let everyone through; list trusted sources'
          : 'leave "to" out to match every container address';
    r.fail(it.node, it.path, `${quoted(s)} matches every IPv${family} address: ${why}`);
  }
  return { kind: 'cidr', family, cidr };
}

/** A rule's `to`: container addresses or CIDRs. */
export function readTo(r: YamlReader, f: Field, path: Path): CidrSource[] {
  const expected = 'a container address or CIDR';
  const node = r.present(f, path, `${expected}, or a list of these`);
  const items = r.list(node, path, true, expected);
  if (items.length === 0)
    r.fail(node, path, 'an empty list matches no container: leave "to" out to match every container address');
  const out: CidrSource[] = [];
  const where: Path[] = [];
  for (const it of items) {
    const s = r.str(it.node, it.path, expected, it.node);
    if (s === 'any') r.fail(it.node, it.path, 'leave "to" out to match every container address ("any" is not needed)');
    if (s.startsWith('set:'))
      r.fail(it.node, it.path, `expected ${expected}, found ${quoted(s)} (sets are not supported in "to")`);
    const c = readCidr(r, s, it, 'to', expected);
    const dup = out.findIndex((o) => o.cidr === c.cidr);
    if (dup >= 0)
      r.fail(it.node, it.path, `${quoted(s)} is listed twice (as ${c.cidr}); also ${formatPath(where[dup] ?? path)}`);
    out.push(c);
    where.push(it.path);
  }
  return out;
}

/** Set types whose members are IP addresses or networks: `--match-set NAME src` matches the source address. */
export const ADDRESS_SET_TYPES: readonly SetTypeName[] = ['hash:ip', 'hash:net', 'bitmap:ip', 'list:set'];

/**
 * Why a set of `type` cannot be a source (`--match-set NAME src`), or undefined when it can.
 * `members` gives the type of a list:set's member sets where they are known.
 */
export function sourceSetProblem(
  name: string,
  type: SetTypeName,
  members: readonly string[] = [],
  typeOf: (set: string) => SetTypeName | undefined = () => undefined,
): string | undefined {
  const accepted = 'a source set must hold addresses: hash:ip, hash:net, bitmap:ip, or a list:set of those';
  if (type === 'list:set') {
    for (const m of members) {
      const t = typeOf(m);
      if (t !== undefined && t !== 'list:set' && sourceSetProblem(m, t) !== undefined)
        return `set ${name} is a list:set holding ${m}, a ${t} set: ${accepted}`;
    }
    return undefined;
  }
  if (ADDRESS_SET_TYPES.includes(type)) return undefined;
  const why =
    type === 'bitmap:port'
      ? 'with `src` it would match the source port of the client (an ephemeral port: nearly everyone let in)'
      : type === 'hash:mac'
        ? 'it would match the MAC address of the last hop (for traffic from outside, the router)'
        : `its members have ${type.split(',').length} parts, and the kernel never matches them with the one flag \`src\` (the allowed sources would be dropped)`;
  return `set ${name} is a ${type} set: ${why}; ${accepted}`;
}

/** Refuses, at the `set:NAME` item, a source set of the policy whose type cannot match a source address. */
export function checkSourceSets(
  r: YamlReader,
  items: readonly SourceAt[],
  ipsets: readonly { name: string; type: SetTypeName; entries: readonly string[] }[],
): void {
  const typeOf = (n: string) => ipsets.find((s) => s.name === n)?.type;
  for (const { source, item } of items) {
    if (source.kind !== 'set') continue;
    const set = ipsets.find((s) => s.name === source.name);
    if (set === undefined) continue; // from the host's sets: checked against an ipset dump when there is one
    const bad = sourceSetProblem(set.name, set.type, set.entries, typeOf);
    if (bad !== undefined) r.fail(item.node, item.path, bad);
  }
}

/** A set of the host's `ipset save` dump, as far as a source needs it. */
export interface HostSet {
  type: SetTypeName;
  /** The members of a list:set (set names). */
  members: readonly string[];
}

/**
 * Refuses a source naming a set the policy does not declare but the host's dump (--ipsets) holds
 * with a type that cannot match a source address: a PolicyPathError at `allow[i].from[j]` or
 * `sources[j]`.
 */
export function checkHostSourceSets(policy: Policy, host: ReadonlyMap<string, HostSet>): void {
  const declared = new Set(policy.ipsets.map((s) => s.name));
  const typeOf = (n: string) => (declared.has(n) ? policy.ipsets.find((s) => s.name === n)?.type : host.get(n)?.type);
  const check = (sources: readonly Source[], where: (j: number) => (string | number)[]) =>
    sources.forEach((s, j) => {
      if (s.kind !== 'set' || declared.has(s.name)) return;
      const set = host.get(s.name);
      const bad = set && sourceSetProblem(s.name, set.type, set.members, typeOf);
      if (bad !== undefined) throw new PolicyPathError(where(j), `${bad} (in the ipset dump)`);
    });
  policy.allow.forEach((a, i) => check(a.from, (j) => ['allow', i, 'from', j]));
  check(policy.sources, (j) => ['sources', j]);
}
