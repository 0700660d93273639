// Property: random edits of every fixture through the edit helpers, printed and parsed back, give
// the edited tree (compared through the JSON form without source lines).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CHAINS, type IptablesDump, type Rule, type Statement, type Table } from '../src/iptables/ast.js';
import { comment, editChainDecl, editDump, editRule, editTable, jump, match, opt } from '../src/iptables/build.js';
import { iptablesToJson } from '../src/iptables/json.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import {
  commentLine,
  editIpsetLine,
  type CommandLine,
  type EntryLine,
  type IpsetDump,
  type IpsetLine,
} from '../src/ipset/ast.js';
import { ipsetToJson } from '../src/ipset/json.js';
import { parseIpset } from '../src/ipset/parse.js';
import { printIpset } from '../src/ipset/print.js';
import { FIXTURES, iptablesFixtures } from './support/fixtures.js';

/** The JSON form without where nodes came from: what a tree says. */
function view(json: object): unknown {
  return JSON.parse(JSON.stringify(json), (k, v: unknown) => (k === 'source' || k === 'commit' ? undefined : v));
}

const word = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/);
const text = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 :._-]{0,30}$/).map((s) => s.trimEnd());
const chainName = fc.stringMatching(/^[A-Z][A-Z0-9_-]{0,15}$/);
const digits = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String);

type IptablesEdit =
  | { op: 'chain'; at: number; name: string }
  | { op: 'target'; at: number; name: string }
  | { op: 'value'; at: number; value: string }
  | { op: 'counters'; at: number; packets: string; bytes: string }
  | { op: 'comment'; at: number; text: string }
  | { op: 'commentLine'; at: number; text: string }
  | { op: 'policy'; at: number; policy: string };

const at = fc.nat({ max: 10_000 });
const iptablesEdit: fc.Arbitrary<IptablesEdit> = fc.oneof(
  fc.record({ op: fc.constant('chain' as const), at, name: chainName }),
  fc.record({ op: fc.constant('target' as const), at, name: fc.constantFrom('ACCEPT', 'DROP', 'RETURN') }),
  fc.record({ op: fc.constant('value' as const), at, value: word }),
  fc.record({ op: fc.constant('counters' as const), at, packets: digits, bytes: digits }),
  fc.record({ op: fc.constant('comment' as const), at, text }),
  fc.record({ op: fc.constant('commentLine' as const), at, text }),
  fc.record({ op: fc.constant('policy' as const), at, policy: fc.constantFrom('ACCEPT', 'DROP') }),
);

/** A statement of some table, chosen by `at` among those `pick` accepts. */
function choose(
  dump: IptablesDump,
  n: number,
  pick: (s: Statement, t: Table) => boolean,
): { ti: number; si: number } | undefined {
  const found: { ti: number; si: number }[] = [];
  dump.items.forEach((t, ti) => {
    if (t.kind === 'table') t.body.forEach((s, si) => pick(s, t) && found.push({ ti, si }));
  });
  return found.length === 0 ? undefined : found[n % found.length];
}

function replace(dump: IptablesDump, where: { ti: number; si: number }, s: Statement): IptablesDump {
  const t = dump.items[where.ti] as Table;
  const body = t.body.map((x, i) => (i === where.si ? s : x));
  return editDump(dump, { items: dump.items.map((x, i) => (i === where.ti ? editTable(t, { body }) : x)) });
}

function applyIptables(dump: IptablesDump, e: IptablesEdit): IptablesDump {
  const isRule = (s: Statement): s is Rule => s.kind === 'rule';
  const ruleAt = (pick: (r: Rule) => boolean = () => true) => choose(dump, e.at, (s) => isRule(s) && pick(s));
  const get = (w: { ti: number; si: number }) => (dump.items[w.ti] as Table).body[w.si]!;
  switch (e.op) {
    case 'chain': {
      const w = ruleAt();
      return w ? replace(dump, w, editRule(get(w) as Rule, { chain: e.name })) : dump;
    }
    case 'target': {
      const w = ruleAt();
      if (!w) return dump;
      const r = get(w) as Rule;
      return replace(dump, w, editRule(r, { spec: { ...r.spec, target: jump(e.name) } }));
    }
    case 'value': {
      const w = ruleAt((r) => r.spec.matches.some((m) => m.options.some((o) => o.values.length > 0)));
      if (!w) return dump;
      const r = get(w) as Rule;
      const mi = r.spec.matches.findIndex((m) => m.options.some((o) => o.values.length > 0));
      const m = r.spec.matches[mi]!;
      const oi = m.options.findIndex((o) => o.values.length > 0);
      const o = m.options[oi]!;
      const edited = { ...o, values: [e.value, ...o.values.slice(1)] };
      const matches = r.spec.matches.map((x, i) =>
        i === mi ? { ...x, options: x.options.map((y, j) => (j === oi ? edited : y)) } : x,
      );
      return replace(dump, w, editRule(r, { spec: { ...r.spec, matches } }));
    }
    case 'counters': {
      const w = choose(dump, e.at, (s) => s.kind === 'rule' || s.kind === 'chain');
      if (!w) return dump;
      const s = get(w);
      const counters = { packets: e.packets, bytes: e.bytes };
      return replace(dump, w, s.kind === 'rule' ? editRule(s, { counters }) : editChainDecl(s as never, { counters }));
    }
    case 'comment': {
      const w = ruleAt();
      if (!w) return dump;
      const r = get(w) as Rule;
      const others = r.spec.matches.filter((m) => m.name !== 'comment');
      const matches = [...others, match('comment', opt('--comment', e.text))];
      return replace(dump, w, editRule(r, { spec: { ...r.spec, matches } }));
    }
    case 'commentLine': {
      const w = choose(dump, e.at, (s) => s.kind === 'comment' || s.kind === 'rule');
      return w ? replace(dump, w, comment(e.text)) : dump;
    }
    case 'policy': {
      const w = choose(dump, e.at, (s, t) => s.kind === 'chain' && BUILTIN_CHAINS[t.name].includes(s.name));
      return w ? replace(dump, w, editChainDecl(get(w) as never, { policy: e.policy })) : dump;
    }
  }
}

type IpsetEdit =
  | { op: 'exist'; at: number }
  | { op: 'entry'; at: number; other: number }
  | { op: 'timeout'; at: number; value: number }
  | { op: 'comment'; at: number; text: string }
  | { op: 'maxelem'; at: number; value: number }
  | { op: 'commentLine'; at: number; text: string };

const ipsetEdit: fc.Arbitrary<IpsetEdit> = fc.oneof(
  fc.record({ op: fc.constant('exist' as const), at }),
  fc.record({ op: fc.constant('entry' as const), at, other: at }),
  fc.record({ op: fc.constant('timeout' as const), at, value: fc.nat({ max: 2_000_000 }) }),
  fc.record({ op: fc.constant('comment' as const), at, text }),
  fc.record({ op: fc.constant('maxelem' as const), at, value: fc.integer({ min: 1, max: 1 << 20 }) }),
  fc.record({ op: fc.constant('commentLine' as const), at, text }),
);

function toggleExist(l: CommandLine): CommandLine {
  return editIpsetLine<CommandLine>(l, { exist: !l.exist });
}

function applyIpset(d: IpsetDump, e: IpsetEdit): IpsetDump {
  const indexes = (pick: (l: IpsetLine) => boolean) => d.lines.flatMap((l, i) => (pick(l) ? [i] : []));
  const set = (i: number | undefined, l: (old: IpsetLine) => IpsetLine): IpsetDump =>
    i === undefined ? d : { ...d, lines: d.lines.map((x, j) => (j === i ? l(x) : x)) };
  const one = (xs: number[]) => (xs.length === 0 ? undefined : xs[e.at % xs.length]);
  const withOption = (l: IpsetLine, name: string, value: string): IpsetLine =>
    l.kind === 'create' || l.kind === 'add'
      ? editIpsetLine(l, { options: l.options.map((o) => (o.name === name ? { name, value } : o)) })
      : l;
  const has = (l: IpsetLine, name: string) =>
    (l.kind === 'create' || l.kind === 'add') && l.options.some((o) => o.name === name && o.value !== undefined);
  switch (e.op) {
    case 'exist':
      return set(one(indexes((l) => 'exist' in l)), (l) =>
        l.kind === 'comment' || l.kind === 'blank' || l.kind === 'commit' ? l : toggleExist(l),
      );
    case 'entry': {
      const adds = indexes((l) => l.kind === 'add');
      const i = one(adds);
      if (i === undefined) return d;
      const l = d.lines[i] as EntryLine;
      const same = adds.filter((j) => (d.lines[j] as typeof l).set === l.set);
      const from = d.lines[same[e.other % same.length]!] as typeof l;
      return set(i, () => editIpsetLine(l, { entry: from.entry }));
    }
    case 'timeout':
      return set(one(indexes((l) => l.kind === 'add' && has(l, 'timeout'))), (l) =>
        withOption(l, 'timeout', String(e.value)),
      );
    case 'comment':
      return set(one(indexes((l) => l.kind === 'add' && has(l, 'comment'))), (l) => withOption(l, 'comment', e.text));
    case 'maxelem':
      return set(one(indexes((l) => has(l, 'maxelem'))), (l) => withOption(l, 'maxelem', String(e.value)));
    case 'commentLine':
      return set(one(indexes((l) => l.kind === 'comment' || l.kind === 'add')), () => commentLine(e.text));
  }
}

const RUNS = 40;

describe('random edits through the helpers print and parse back to the edited tree', () => {
  it.each(iptablesFixtures())('%s', (name, source) => {
    const dump = parseIptables(source, { file: name });
    let changed = 0;
    fc.assert(
      fc.property(fc.array(iptablesEdit, { minLength: 1, maxLength: 6 }), (edits) => {
        const edited = edits.reduce(applyIptables, dump);
        const printed = printIptables(edited);
        if (printed !== source) changed++;
        expect(view(iptablesToJson(parseIptables(printed, { file: name })))).toEqual(view(iptablesToJson(edited)));
        // The parsed dump is never changed by its edited copies.
        expect(printIptables(dump)).toBe(source);
      }),
      { numRuns: RUNS, seed: 13 },
    );
    // The edits reached the text: most runs print something else than the source.
    expect(changed).toBeGreaterThan(RUNS / 2);
  });

  const dir = join(FIXTURES, 'ipset');
  const ipsets = readdirSync(dir).filter((f) => f.endsWith('.ipset') && readFileSync(join(dir, f), 'utf8') !== '');
  it.each(ipsets)('%s', (f) => {
    const source = readFileSync(join(dir, f), 'utf8');
    const d = parseIpset(source, f);
    let changed = 0;
    fc.assert(
      fc.property(fc.array(ipsetEdit, { minLength: 1, maxLength: 6 }), (edits) => {
        const edited = edits.reduce(applyIpset, d);
        const printed = printIpset(edited);
        if (printed !== source) changed++;
        expect(view(ipsetToJson(parseIpset(printed, f)))).toEqual(view(ipsetToJson(edited)));
        expect(printIpset(d)).toBe(source);
      }),
      { numRuns: RUNS, seed: 13 },
    );
    // The edits reached the text: most runs print something else than the source.
    expect(changed).toBeGreaterThan(RUNS / 2);
  });
});
