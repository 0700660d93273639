// Exposure of a whole dump: for each published port (exposure-entries.ts), for each class of
// external interface, the reach (exposure-reach.ts). Interfaces and host ports are refined like
// sources: a rule met on the way that names an interface, or a port inside a published range,
// makes it a class of its own, and the port is evaluated again (docs/design.md#how-exposure-computes-sources).
import type { IptablesDump, Rule } from '../iptables/ast.js';
import { DfwError } from '../errors.js';
import type { Family } from '../net/family.js';
import { publishedEntries, type Published } from './exposure-entries.js';
import { sourcePieces, reachOf, type Reach, type SetMembers } from './exposure-reach.js';
import { RuleReader, type SetSpans } from './exposure-rules.js';
import { addressText, cidrCover, everyAddress, spanOf, type Span } from './split.js';
import type { Evaluation, HostFacts, Packet } from './types.js';

/** What exposure needs of the evaluator. */
export interface EvaluatorLike {
  readonly facts: HostFacts;
  /**
   * An evaluator for the packets to one port: `addresses` and `ports` are every destination and
   * port they can carry (before and after DNAT); it may leave out rules such packets cannot match.
   */
  forPort(
    addresses: readonly string[],
    ports: readonly number[],
    inName: string,
    routed: readonly string[],
  ): (p: Packet) => Evaluation;
  /** The exact `-i` names of a chain's rules (whether or not a view showed them). */
  inNames(table: string, chain: string): readonly string[];
  /** The interface the facts route an address to, or undefined when no route covers it. */
  routeOf(address: string): string | undefined;
  /** The rule a step names (its chain's `n`th). */
  rule(table: string, chain: string, n: number): Rule | undefined;
}

/** The label of the interface class that stands for every interface no rule names. */
export const OTHER_INTERFACES = '*';

export interface ComputeOptions {
  family: Family;
  /** Members of the sets, when an ipset dump was given. */
  sets?: SetSpans;
  /** Each set's members as printed, for the report. */
  setMembers?: ReadonlyMap<string, readonly string[]>;
  /** The external interfaces to report (names or `wlan+` patterns); default: found in the rules. */
  external?: readonly string[];
  /** The address a client connects to when a published port names none; default: the host's first. */
  hostAddress?: string;
  /** Also the DNATs to addresses that are not the host's (exposure-entries.ts). */
  routed?: boolean;
}

/** One published port (or a part of its range) and its reach from each interface class. */
export interface PortExposure extends Published {
  readonly reach: readonly { readonly interface: string; readonly reach: Reach }[];
}

export interface Exposure {
  readonly family: Family;
  /** The interface classes, `*` for every interface no rule names. */
  readonly interfaces: readonly string[];
  /** The address used for ports that name no destination (absent when none was needed nor known). */
  readonly hostAddress?: string;
  readonly ports: readonly PortExposure[];
}

const MAX_ROUNDS = 6;

/** `8080`, `8000:8100`, `80,443`, or `every port`. */
export const rangeText = (ports: readonly (readonly [number, number])[] | undefined): string =>
  ports === undefined ? 'every port' : ports.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',');

export const matchesInterface = (pattern: string, name: string): boolean =>
  pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;

/** A name for an interface class: the name itself, a wildcard's prefix plus `0`, or `extN` for the rest. */
function representative(label: string, patterns: readonly string[], taken: readonly string[]): string {
  if (label !== OTHER_INTERFACES) return label.endsWith('+') ? `${label.slice(0, -1)}0` : label;
  for (let i = 0; ; i++) {
    const name = `ext${i}`;
    if (!patterns.some((p) => matchesInterface(p, name)) && !taken.includes(name)) return name;
  }
}

/** What the rules met while evaluating one port taught: interface patterns, port edges, source sets. */
interface Learned {
  interfaces: Set<string>;
  ports: Set<number>;
  sets: Set<string>;
}

class Context {
  readonly reader: RuleReader;

  constructor(
    readonly dump: IptablesDump,
    readonly ev: EvaluatorLike,
    readonly options: ComputeOptions,
  ) {
    this.reader = new RuleReader(options.family, options.sets);
  }

  rule(table: string, chain: string, n: number): Rule | undefined {
    return this.ev.rule(table, chain, n);
  }

  /** The source spans the rules of an evaluation cut, noting what else they name. */
  cutter(learned: Learned): (e: Evaluation) => Span[] {
    return (e) => {
      const spans: Span[] = [];
      const chains = new Set<string>();
      for (const s of e.path) {
        const key = `${s.table} ${s.chain}`;
        if (!chains.has(key)) {
          chains.add(key);
          for (const i of this.ev.inNames(s.table, s.chain)) learned.interfaces.add(i);
        }
        if (s.rule === 0) continue;
        const r = this.rule(s.table, s.chain, s.rule);
        if (r === undefined) continue;
        // A chain whose rules all name another interface shows no step: learn its names at the jump.
        const target = r.spec.target?.name;
        if (target !== undefined && !chains.has(`${s.table} ${target}`)) {
          chains.add(`${s.table} ${target}`);
          for (const i of this.ev.inNames(s.table, target)) learned.interfaces.add(i);
        }
        const c = this.reader.cuts(r);
        spans.push(...c.spans);
        for (const i of c.interfaces) learned.interfaces.add(i);
        for (const [a, b] of c.ports) learned.ports.add(a).add(b + 1);
        for (const n of c.srcSets) learned.sets.add(n);
      }
      return spans;
    };
  }
}

/** The ports of a row cut at every edge learned, as classes [from, to]. */
function portClasses(row: Published, edges: ReadonlySet<number>): [number, number][] {
  const out: [number, number][] = [];
  for (const [from, to] of row.ports ?? [[1, 65535] as const]) {
    const cuts = [...edges].filter((e) => e > from && e <= to).sort((a, b) => a - b);
    let cur = from;
    for (const c of cuts) {
      out.push([cur, c - 1]);
      cur = c;
    }
    out.push([cur, to]);
  }
  return out;
}

function setMembersOf(ctx: Context, names: ReadonlySet<string>): Map<string, SetMembers> {
  const out = new Map<string, SetMembers>();
  for (const n of [...names].sort()) {
    const spans = ctx.options.sets?.get(n);
    if (spans !== undefined) out.set(n, { spans, members: ctx.options.setMembers?.get(n) ?? [] });
  }
  return out;
}

interface RowResult {
  ports: [number, number];
  reach: { interface: string; reach: Reach }[];
}

/** The reach of one row from each interface class, for each class of its ports. */
function rowReach(ctx: Context, row: Published, classes: readonly [string, string][], learned: Learned): RowResult[] {
  const f = ctx.options.family;
  const dstSpan = row.hostAddress === undefined ? undefined : spanOf(row.hostAddress, f);
  const dst = dstSpan === undefined ? hostAddressOf(ctx) : addressText(dstSpan.from, f);
  if (dst === undefined)
    throw new DfwError(
      `no IPv${f} address of the host is known (the dump shows none), and ${row.proto} ${rangeText(row.ports)} names no destination: give --host-address`,
    );
  const proto = row.proto === 'all' ? 'tcp' : row.proto;
  const out: RowResult[] = [];
  const targets = row.to.map(splitTarget);
  const unrouted = targets.find((t) => ctx.ev.routeOf(t.address) === undefined && !isLocalAddress(ctx, t.address));
  if (unrouted !== undefined)
    return [
      {
        ports: row.ports?.[0] ? [row.ports[0][0], row.ports[row.ports.length - 1]![1]] : [1, 65535],
        reach: classes.map(([label]) => ({ interface: label, reach: unroutedReach(f, unrouted.address) })),
      },
    ];
  for (const ports of portClasses(row, learned.ports)) {
    const addresses = [dst, ...targets.map((t) => t.address)];
    const portList = [ports[0], ...targets.flatMap((t) => t.ports ?? [ports[0]])];
    const reach = classes.map(([label, name]) => {
      const routed = row.kind === 'dnat' ? targets.map((t) => t.address) : [dst];
      const forPort = ctx.ev.forPort(addresses, portList, name, routed);
      const evaluate = (src: bigint) =>
        forPort({ family: f, in: name, src: addressText(src, f), dst, proto, dport: ports[0], state: 'new' });
      const pieces = sourcePieces(f, evaluate, ctx.cutter(learned));
      return { interface: label, reach: reachOf(f, pieces, setMembersOf(ctx, learned.sets)) };
    });
    out.push({ ports, reach });
  }
  return out;
}

function isLocalAddress(ctx: Context, a: string): boolean {
  return ctx.ev.facts.localAddresses.some((l) => l.replace(/\/\d+$/, '') === a);
}

/**
 * A DNAT to an address no route of the facts covers (a kube-proxy pod): every `-o` test on the
 * forward path is unknown for it, so the whole reach is, without walking thousands of them.
 */
function unroutedReach(family: Family, address: string): Reach {
  const whole = cidrCover(everyAddress(family), family);
  const why = `no route the dump shows covers ${address}: the out interface is not known`;
  return {
    kind: 'unknown',
    sources: [],
    from: [],
    sets: [],
    unknown: [
      { from: whole, dependsOn: [{ table: 'routing', chain: '-', rule: 0, text: `route to ${address}`, why }] },
    ],
  };
}

/** `172.17.0.2:80`, `[2001:db8::2]:80`, `10.0.0.5:8000-8010` or an address alone. */
export function splitTarget(to: string): { address: string; ports?: number[] } {
  const m = /^\[([^\]]+)\](?::(.+))?$/.exec(to) ?? /^([^:]+)(?::(.+))?$/.exec(to) ?? /^(.*)()$/.exec(to)!;
  const [from, upto] = (m[2] ?? '').split('-').map(Number);
  if (m[2] === undefined || from === undefined || !Number.isInteger(from)) return { address: m[1]! };
  const last = upto !== undefined && Number.isInteger(upto) && upto >= from ? Math.min(upto, from + 1023) : from;
  return { address: m[1]!, ports: Array.from({ length: last - from + 1 }, (_, i) => from + i) };
}

function hostAddressOf(ctx: Context): string | undefined {
  if (ctx.options.hostAddress !== undefined) return ctx.options.hostAddress;
  const f = ctx.options.family;
  return ctx.ev.facts.localAddresses.find((a) => spanOf(a, f) !== undefined && !isLoopback(a, f));
}

const isLoopback = (a: string, f: Family): boolean => (f === 4 ? a.startsWith('127.') : a === '::1');

/** Whether an interface pattern names a Docker bridge or the loopback (not an external interface). */
export function isInternal(pattern: string, facts: HostFacts): boolean {
  const internal = ['lo', ...facts.routes.map((r) => r.name)];
  return internal.some((n) => matchesInterface(pattern, n) || matchesInterface(n, pattern));
}

/** Adjacent port classes with the same reach joined, as rows. */
function rowsOf(row: Published, results: readonly RowResult[]): PortExposure[] {
  const out: PortExposure[] = [];
  let prev: { key: string; from: number; to: number; r: RowResult } | undefined;
  const flush = () => {
    if (prev === undefined) return;
    const whole = row.ports === undefined && prev.from === 1 && prev.to === 65535;
    out.push({ ...row, ...(whole ? {} : { ports: [[prev.from, prev.to]] }), reach: prev.r.reach });
  };
  for (const r of results) {
    const key = JSON.stringify(r.reach);
    if (prev !== undefined && prev.key === key && prev.to + 1 === r.ports[0]) prev.to = r.ports[1];
    else {
      flush();
      prev = { key, from: r.ports[0], to: r.ports[1], r };
    }
  }
  flush();
  if (row.ports !== undefined && out.length === 1) return [{ ...out[0]!, ports: row.ports }];
  return out;
}

/** The interface classes: the ones given, or the names the rules met, plus every other interface. */
function interfaceClasses(given: readonly string[] | undefined, found: readonly string[]): [string, string][] {
  const labels = given ?? [...found, OTHER_INTERFACES];
  const patterns = given ?? found;
  const out: [string, string][] = [];
  for (const l of labels)
    out.push([
      l,
      representative(
        l,
        patterns,
        out.map(([, n]) => n),
      ),
    ]);
  return out;
}

/**
 * Every published port of `dump` and who can open a new connection to it from each external
 * interface class. `ev` answers for one packet; sources are computed, not sampled.
 */
export function computeExposure(dump: IptablesDump, ev: EvaluatorLike, options: ComputeOptions): Exposure {
  const ctx = new Context(dump, ev, options);
  const locals = ev.facts.localAddresses.flatMap((a) => spanOf(a, options.family) ?? []);
  const rows = publishedEntries(dump, options.family, {
    routed: options.routed === true,
    local: (s) => locals.some((l) => s.from <= l.from && l.to <= s.to),
  });
  let found: string[] = [];
  for (let round = 0; ; round++) {
    const classes = interfaceClasses(options.external, found);
    const learned: Learned[] = rows.map(() => ({ interfaces: new Set(), ports: new Set(), sets: new Set() }));
    let results = rows.map((row, i) => rowReach(ctx, row, classes, learned[i]!));
    // A port edge learned inside a row's range needs the row evaluated again with the new classes.
    for (let k = 0; k < MAX_ROUNDS; k++) {
      const before = results.map((r) => r.length);
      const again = rows.map((row, i) => portClasses(row, learned[i]!.ports).length !== before[i]);
      if (!again.some(Boolean)) break;
      results = rows.map((row, i) => (again[i] ? rowReach(ctx, row, classes, learned[i]!) : results[i]!));
    }
    const named = [...new Set(learned.flatMap((l) => [...l.interfaces]))]
      .filter((p) => !isInternal(p, ev.facts))
      .sort();
    const fresh = named.filter((n) => !found.includes(n));
    if (options.external !== undefined || fresh.length === 0 || round >= MAX_ROUNDS) {
      const host = hostAddressOf(ctx);
      return {
        family: options.family,
        interfaces: classes.map(([l]) => l),
        ...(host === undefined ? {} : { hostAddress: host }),
        ports: rows.flatMap((row, i) => rowsOf(row, results[i]!)),
      };
    }
    found = [...found, ...fresh].sort();
  }
}
