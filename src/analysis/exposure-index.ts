// The rules a packet to one published port can meet, and nothing else. A kube-proxy host has
// tens of thousands of rules that each test one destination (`-d 10.96.0.10/32`), one port
// (`--dport 30080`) or one bridge (`-o br-…`): a packet to a given port meets only a handful of
// them. Each chain's rules are sorted once into buckets by what they test; a port's view of the
// chain is its generic rules plus the buckets of its addresses, ports and out interfaces, in
// chain order. A rule left out is one that cannot match the port's packets, so the evaluation
// (and the path, whose rule numbers are the chain's own) is the same as on the whole dump.
// (docs/design.md#how-exposure-computes-sources)
import type { IptablesDump, Rule, Table, TableName } from '../iptables/ast.js';
import { ruleDestination, ruleInInterface, ruleOutInterface } from '../iptables/rule.js';
import type { Family } from '../net/family.js';
import { RuleEntry, type Ruleset, type TableIndex } from './ruleset.js';
import { spanOf } from './split.js';
import type { Evaluation, HostFacts, Packet } from './types.js';

/** What one port's packets can carry: destinations (before and after DNAT), ports, out interfaces. */
export interface PortView {
  readonly addresses: ReadonlySet<string>;
  readonly ports: ReadonlySet<number>;
  /** Out interfaces routing may choose; undefined: not known, keep every `-o` rule. */
  readonly outs?: ReadonlySet<string>;
  /** The interface the packets arrive on. */
  readonly in: string;
}

interface Buckets {
  readonly compiled: readonly RuleEntry[];
  readonly generic: readonly number[];
  readonly byDst: ReadonlyMap<string, number[]>;
  readonly byPort: ReadonlyMap<number, number[]>;
  readonly byOut: ReadonlyMap<string, number[]>;
  readonly byIn: ReadonlyMap<string, number[]>;
}

const hostKey = (text: string, family: Family): string | undefined => {
  const s = spanOf(text, family);
  return s !== undefined && s.from === s.to ? s.from.toString() : undefined;
};

/** The one destination port a rule demands (`-p tcp -m tcp --dport 80`), or undefined. */
function singlePort(r: Rule): number | undefined {
  for (const m of r.spec.matches)
    for (const o of m.options)
      if ((o.flag === '--dport' || o.flag === '--destination-port') && !o.negated && /^\d+$/.test(o.values[0] ?? ''))
        return Number(o.values[0]);
  return undefined;
}

function push<K>(map: Map<K, number[]>, key: K, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}

function bucketsOf(compiled: readonly RuleEntry[], family: Family): Buckets {
  const generic: number[] = [];
  const byDst = new Map<string, number[]>();
  const byPort = new Map<number, number[]>();
  const byOut = new Map<string, number[]>();
  const byIn = new Map<string, number[]>();
  compiled.forEach((c, i) => {
    const d = ruleDestination(c.rule);
    const dst = d === undefined || d.negated ? undefined : hostKey(d.value, family);
    if (dst !== undefined) return push(byDst, dst, i);
    const port = singlePort(c.rule);
    if (port !== undefined) return push(byPort, port, i);
    const o = ruleOutInterface(c.rule);
    if (o !== undefined && !o.negated && !o.value.endsWith('+')) return push(byOut, o.value, i);
    const n = ruleInInterface(c.rule);
    if (n !== undefined && !n.negated && !n.value.endsWith('+')) return push(byIn, n.value, i);
    generic.push(i);
  });
  return { compiled, generic, byDst, byPort, byOut, byIn };
}

/** One table of the dump, indexed once: rules and declarations by chain, compiled on first use. */
export class ChainIndex {
  readonly #rules = new Map<string, Rule[]>();
  readonly #decls = new Map<string, { policy: string; line?: number; text: string }>();
  readonly #buckets = new Map<string, Buckets>();

  constructor(
    readonly name: TableName,
    table: Table,
    readonly family: Family,
  ) {
    for (const s of table.body) {
      if (s.kind === 'rule') {
        const list = this.#rules.get(s.chain);
        if (list === undefined) this.#rules.set(s.chain, [s]);
        else list.push(s);
      } else if (s.kind === 'chain')
        this.#decls.set(s.name, { policy: s.policy, line: s.source?.line, text: `:${s.name} ${s.policy}` });
    }
  }

  rules(chain: string): readonly Rule[] {
    return this.#rules.get(chain) ?? [];
  }

  decl(chain: string): { policy: string; line?: number; text: string } | undefined {
    return this.#decls.get(chain);
  }

  buckets(chain: string): Buckets {
    let b = this.#buckets.get(chain);
    if (b === undefined) {
      const compiled = this.rules(chain).map((r, i) => new RuleEntry(r, i + 1, this.family));
      b = bucketsOf(compiled, this.family);
      this.#buckets.set(chain, b);
    }
    return b;
  }

  /** The chain's rules a packet of `view` can match, in chain order. */
  view(chain: string, view: PortView): RuleEntry[] {
    const b = this.buckets(chain);
    const picked = [...b.generic];
    for (const a of view.addresses) picked.push(...(b.byDst.get(a) ?? []));
    for (const p of view.ports) picked.push(...(b.byPort.get(p) ?? []));
    if (view.outs === undefined) for (const list of b.byOut.values()) picked.push(...list);
    else for (const o of view.outs) picked.push(...(b.byOut.get(o) ?? []));
    picked.push(...(b.byIn.get(view.in) ?? []));
    return picked.sort((x, y) => x - y).map((i) => b.compiled[i]!);
  }
}

/** Every table of a dump, indexed. */
export function indexDump(dump: IptablesDump, family: Family): Map<TableName, ChainIndex> {
  const out = new Map<TableName, ChainIndex>();
  for (const t of dump.items)
    if (t.kind === 'table' && !out.has(t.name)) out.set(t.name, new ChainIndex(t.name, t, family));
  return out;
}

/** The whole chains, as the evaluator's table index (deriveFacts reads them through rules() and decl()). */
export function asTableIndexes(tables: ReadonlyMap<TableName, ChainIndex>): Map<TableName, TableIndex> {
  const out = new Map<TableName, TableIndex>();
  for (const [name, ix] of tables)
    out.set(name, {
      name,
      rules: (c: string) => ix.buckets(c).compiled,
      decl: (c: string) => ix.decl(c),
    } as unknown as TableIndex);
  return out;
}

/**
 * A ruleset for the evaluator that shows it only what a packet of `view` can match, with the
 * host facts cut to the routes of its addresses (routing looks for the most specific one).
 */
export function viewRuleset(
  base: Ruleset,
  tables: ReadonlyMap<TableName, ChainIndex>,
  view: PortView,
  facts: HostFacts,
): Ruleset {
  const views = new Map<TableName, TableIndex>();
  for (const [name, ix] of tables) {
    const cache = new Map<string, RuleEntry[]>();
    const t = {
      name,
      rules(chain: string): readonly RuleEntry[] {
        let r = cache.get(chain);
        if (r === undefined) cache.set(chain, (r = ix.view(chain, view)));
        return r;
      },
      decl: (chain: string) => ix.decl(chain),
    };
    // The evaluator reads a table through rules() and decl() only.
    views.set(name, t as unknown as TableIndex);
  }
  return { family: base.family, tables: views, sets: base.sets, facts, given: facts };
}

/** The routes of the facts by prefix length, to find the ones covering an address without a scan. */
class RouteIndex {
  readonly #byLength = new Map<number, Map<string, HostFacts['routes'][number][]>>();

  constructor(
    routes: HostFacts['routes'],
    readonly family: Family,
  ) {
    for (const r of routes) {
      const s = spanOf(r.cidr, family);
      if (s === undefined) continue;
      const len = Number(r.cidr.split('/')[1] ?? (family === 4 ? 32 : 128));
      let m = this.#byLength.get(len);
      if (m === undefined) this.#byLength.set(len, (m = new Map()));
      const list = m.get(s.from.toString());
      if (list === undefined) m.set(s.from.toString(), [r]);
      else list.push(r);
    }
  }

  /** Every route covering the address (a number). */
  covering(n: bigint): HostFacts['routes'][number][] {
    const bits = BigInt(this.family === 4 ? 32 : 128);
    const out: HostFacts['routes'][number][] = [];
    for (const [len, m] of this.#byLength) {
      const shift = bits - BigInt(len);
      out.push(...(m.get(((n >> shift) << shift).toString()) ?? []));
    }
    return out;
  }
}

/**
 * Evaluators for the packets of one port at a time, over one indexed dump: what exposure needs
 * (exposure-compute.ts EvaluatorLike). An evaluation that ends at a destination or port the view
 * did not foresee (a DNAT elsewhere) is done again with it added.
 */
export function portEvaluators(
  tables: ReadonlyMap<TableName, ChainIndex>,
  base: Ruleset,
  evaluate: (rs: Ruleset, p: Packet) => Evaluation,
): {
  forPort(
    addresses: readonly string[],
    ports: readonly number[],
    inName: string,
    routed: readonly string[],
  ): (p: Packet) => Evaluation;
  rule(table: string, chain: string, n: number): Rule | undefined;
  routeOf(address: string): string | undefined;
  inNames(table: string, chain: string): readonly string[];
} {
  const family = base.family;
  const routes = new RouteIndex(base.facts.routes, family);
  const key = (a: string) => spanOf(a, family)?.from;
  const forView = (
    addresses: ReadonlySet<string>,
    ports: ReadonlySet<number>,
    inName: string,
    routed: readonly string[],
  ): Ruleset => {
    const covering = [...addresses].flatMap((a) => {
      const n = key(a);
      return n === undefined ? [] : routes.covering(n);
    });
    const routeFor = (a: string) => {
      const n = key(a);
      const r = n === undefined ? [] : routes.covering(n);
      return r.sort((x, y) => Number(y.cidr.split('/')[1]) - Number(x.cidr.split('/')[1]))[0]?.name;
    };
    // Routing looks at the destination after DNAT: the out interfaces are those of `routed`.
    const outs = routed.map(routeFor);
    const keys = new Set([...addresses].flatMap((a) => key(a)?.toString() ?? []));
    const view: PortView = {
      addresses: keys,
      ports,
      in: inName,
      ...(outs.includes(undefined) ? {} : { outs: new Set(outs as string[]) }),
    };
    const facts: HostFacts = { ...base.facts, routes: [...new Set(covering)] };
    return viewRuleset(base, tables, view, facts);
  };
  return {
    forPort(addresses, ports, inName, routed) {
      let addrs = new Set(addresses);
      let portSet = new Set(ports);
      let outAddrs = [...routed];
      let rs = forView(addrs, portSet, inName, outAddrs);
      return (p) => {
        for (let i = 0; ; i++) {
          const e = evaluate(rs, p);
          const fresh = !addrs.has(e.dst) || (e.dport !== undefined && !portSet.has(e.dport));
          if (!fresh || i >= 3) return e;
          addrs = new Set([...addrs, e.dst]);
          portSet = new Set([...portSet, ...(e.dport === undefined ? [] : [e.dport])]);
          outAddrs = [...outAddrs, e.dst];
          rs = forView(addrs, portSet, inName, outAddrs);
        }
      };
    },
    rule: (table, chain, n) => tables.get(table as TableName)?.rules(chain)[n - 1],
    // A view leaves out the `-i` rules of other interfaces: exposure still learns their names.
    inNames: (table, chain) => [
      ...(tables
        .get(table as TableName)
        ?.buckets(chain)
        .byIn.keys() ?? []),
    ],
    routeOf(address) {
      const n = key(address);
      const r = n === undefined ? [] : routes.covering(n);
      return r.sort((x, y) => Number(y.cidr.split('/')[1]) - Number(x.cidr.split('/')[1]))[0]?.name;
    },
  };
}
