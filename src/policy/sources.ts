// Address items of a policy: `from` and `sources` (any, an address, a CIDR or set:NAME) and `to`
// (container addresses).
//
// - `any` cannot be mixed with other items; `0.0.0.0/0` and `::/0` are refused ("write any").
//   `sources` and `to` accept no `any` at all.
// - Items that are the same after normalisation (10.1.2.3/8 and 10.0.0.0/8) are refused as
//   duplicates, in every list.

import { parseCidr } from '../net/cidr.js';
import { formatPath, type Path } from '../text/path.js';
import { quoted } from '../text/quote.js';
import { checkSetName } from './names.js';
import type { Source } from './types.js';
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
