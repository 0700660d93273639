// What one rule says about the three things exposure splits on: the source address (-s,
// iprange --src-range, conntrack --ctorigsrc, a set matched on src), the in interface (-i), and
// the destination port (--dport, multiport, --ctorigdstport). Read from the rule's parsed spec;
// cached per rule, since every piece of the source space meets the same rules again.
import type { Option, Rule } from '../iptables/ast.js';
import { ruleInInterface, ruleSource } from '../iptables/rule.js';
import type { IpsetDump } from '../ipset/ast.js';
import { dumpState } from '../ipset/state.js';
import type { Family } from '../net/family.js';
import { spanOf, type Span } from './split.js';

/** What exposure reads of a rule. */
export interface RuleCuts {
  /** Source spans the rule tells apart (the members of its src sets included when known). */
  readonly spans: readonly Span[];
  /** -i patterns (`eth0`, `wlan+`), negated or not. */
  readonly interfaces: readonly string[];
  /** Destination ports and ranges it tests, as [from, to]. */
  readonly ports: readonly (readonly [number, number])[];
  /** Sets it matches on the source address (`-m set --match-set NAME src…`). */
  readonly srcSets: readonly string[];
}

/** Members of each set, as spans of their first (address) part; list:set resolved to its members' members. */
export type SetSpans = ReadonlyMap<string, readonly Span[]>;

/** The address spans of every set of an ipset dump, for one family. */
export function setSpans(dump: IpsetDump, family: Family): SetSpans {
  const state = dumpState(dump);
  const direct = new Map<string, Span[]>();
  const lists = new Map<string, string[]>();
  for (const s of state.values()) {
    if (s.header.type === 'list:set') {
      lists.set(s.name, [...s.members.keys()]);
      continue;
    }
    if (s.header.family !== undefined && s.header.family !== family) continue;
    const spans: Span[] = [];
    for (const element of s.members.keys()) {
      const first = element.split(',')[0]!;
      const span = spanOf(first, family);
      if (span !== undefined) spans.push(span);
    }
    direct.set(s.name, spans);
  }
  const out = new Map<string, Span[]>(direct);
  for (const [name, members] of lists)
    out.set(
      name,
      members.flatMap((m) => direct.get(m) ?? []),
    );
  return out;
}

const options = (r: Rule, name: string): readonly Option[] =>
  r.spec.matches.filter((m) => m.name === name).flatMap((m) => m.options);

/** `80`, `8000:8100`, `80,443,8000:8100` as ranges; names and junk are skipped (they cut nothing). */
export function portRanges(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split(':');
    const from = a === '' ? 0 : Number(a);
    const to = b === undefined ? from : b === '' ? 65535 : Number(b);
    if (Number.isInteger(from) && Number.isInteger(to) && from <= to) out.push([from, to]);
  }
  return out;
}

const PORT_FLAGS = new Set([
  '--dport',
  '--destination-port',
  '--dports',
  '--destination-ports',
  '--ports',
  '--ctorigdstport',
  '--ctrepldstport',
]);

function portsOf(r: Rule): [number, number][] {
  return r.spec.matches.flatMap((m) =>
    m.options.filter((o) => PORT_FLAGS.has(o.flag)).flatMap((o) => portRanges(o.values[0] ?? '')),
  );
}

function srcSetsOf(r: Rule): string[] {
  return options(r, 'set')
    .filter((o) => (o.flag === '--match-set' || o.flag === '--set') && (o.values[1] ?? '').split(',')[0] === 'src')
    .map((o) => o.values[0]!);
}

function sourceSpans(r: Rule, family: Family, sets: SetSpans | undefined): Span[] {
  const texts: string[] = [];
  const s = ruleSource(r);
  if (s !== undefined) texts.push(s.value);
  for (const o of options(r, 'iprange')) if (o.flag === '--src-range' && o.values[0]) texts.push(o.values[0]);
  for (const o of options(r, 'conntrack'))
    if ((o.flag === '--ctorigsrc' || o.flag === '--ctrepldst') && o.values[0]) texts.push(o.values[0]);
  const spans = texts.flatMap((t) => spanOf(t, family) ?? []);
  for (const name of srcSetsOf(r)) spans.push(...(sets?.get(name) ?? []));
  return spans;
}

/** Reads rules once each (a WeakMap: the dump's rules are its keys). */
export class RuleReader {
  readonly #cache = new WeakMap<Rule, RuleCuts>();

  constructor(
    readonly family: Family,
    readonly sets: SetSpans | undefined,
  ) {}

  cuts(r: Rule): RuleCuts {
    let c = this.#cache.get(r);
    if (c === undefined) {
      const i = ruleInInterface(r);
      c = {
        spans: sourceSpans(r, this.family, this.sets),
        interfaces: i === undefined ? [] : [i.value],
        ports: portsOf(r),
        srcSets: srcSetsOf(r),
      };
      this.#cache.set(r, c);
    }
    return c;
  }
}
