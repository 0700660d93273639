// The published ports of a dump: every DNAT a packet arriving from outside can reach from nat
// PREROUTING (Docker's, kube-proxy's, an admin's), with the conditions met on the way there
// (protocol, destination, port), and the container ports a filter ACCEPT opens to a routed
// network without any DNAT (docs/design.md#how-exposure-computes-sources).
import type { IptablesDump, Rule, Table } from '../iptables/ast.js';
import { ruleDestination, ruleOutInterface, ruleProtocol } from '../iptables/rule.js';
import type { Family } from '../net/family.js';
import { sourceText } from '../source.js';
import { portRanges } from './exposure-rules.js';
import { spanOf, type Span } from './split.js';

/** One published port: what a client connects to, and where it lands. */
export interface Published {
  /** `dnat`: a DNAT rule of the nat table; `direct`: a container port a filter ACCEPT opens without DNAT. */
  readonly kind: 'dnat' | 'direct';
  /** `tcp`, `udp`, `sctp`, or `all` when no rule on the way names one. */
  readonly proto: string;
  /** The destination the rules on the way demand (`127.0.0.1/32`); absent: any address of the host. */
  readonly hostAddress?: string;
  /** The host port or ranges, as [from, to]; absent: every port. */
  readonly ports?: readonly (readonly [number, number])[];
  /** Where it lands: `172.17.0.2:80`, `[2001:db8::2]:80`, several when a chain balances. */
  readonly to: readonly string[];
  /** Source lines of the DNAT (or ACCEPT) rules, for the reader. */
  readonly lines: readonly number[];
}

/** The rules of every chain of a table, in order: one pass over the body, not one per chain. */
export function chainIndex(table: Table): Map<string, Rule[]> {
  const out = new Map<string, Rule[]>();
  for (const s of table.body) {
    if (s.kind !== 'rule') continue;
    const list = out.get(s.chain);
    if (list === undefined) out.set(s.chain, [s]);
    else list.push(s);
  }
  return out;
}

/** Conditions gathered on the way down the jumps. */
interface Path {
  proto?: string;
  dst?: string;
  ports?: [number, number][];
  depth: number;
}

const MAX_DEPTH = 32;
const MAX_ENTRIES = 1_000_000;

export function tableOf(dump: IptablesDump, name: string): Table | undefined {
  for (const t of dump.items) if (t.kind === 'table' && t.name === name) return t;
  return undefined;
}

function destinationPorts(r: Rule): [number, number][] | undefined {
  for (const m of r.spec.matches)
    for (const o of m.options)
      if (!o.negated && ['--dport', '--destination-port', '--dports', '--destination-ports'].includes(o.flag))
        return portRanges(o.values[0] ?? '');
  return undefined;
}

/** Which DNATs count: `local` tells a host address; `routed` takes the others too. */
export interface EntryOptions {
  readonly local: (span: Span) => boolean;
  readonly routed: boolean;
}

/** The path with one more rule's conditions, or undefined when they contradict it (or leave the host's addresses). */
function narrowed(path: Path, r: Rule, family: Family, o: EntryOptions): Path | undefined {
  const next: Path = { ...path, depth: path.depth + 1 };
  const p = ruleProtocol(r);
  if (p !== undefined && !p.negated) {
    if (path.proto !== undefined && path.proto !== p.value) return undefined;
    next.proto = p.value;
  }
  const d = ruleDestination(r);
  if (d !== undefined && !d.negated) {
    const span = spanOf(d.value, family);
    if (span === undefined) return undefined;
    const old = path.dst === undefined ? undefined : spanOf(path.dst, family);
    if (old !== undefined && (old.to < span.from || span.to < old.from)) return undefined;
    if (!o.routed && !o.local(span)) return undefined;
    if (old === undefined || span.to - span.from < old.to - old.from) next.dst = d.value;
  }
  const ports = destinationPorts(r);
  if (ports !== undefined) next.ports = ports;
  return next;
}

/** `--to-destination` of a DNAT target, with `[v6]` kept as written. */
function dnatTo(r: Rule): string {
  return r.spec.target?.options.find((o) => o.flag === '--to-destination' || o.flag === '--to')?.values[0] ?? '?';
}

class Walker {
  readonly found: { path: Path; rule: Rule }[] = [];
  readonly #stack = new Set<string>();
  readonly #chains: Map<string, Rule[]>;

  constructor(
    nat: Table,
    readonly family: Family,
    readonly options: EntryOptions,
  ) {
    this.#chains = chainIndex(nat);
  }

  walk(chain: string, path: Path): void {
    if (path.depth > MAX_DEPTH || this.#stack.has(chain) || this.found.length >= MAX_ENTRIES) return;
    this.#stack.add(chain);
    for (const r of this.#chains.get(chain) ?? []) {
      if (this.#elsewhere(r, path)) continue;
      const t = r.spec.target;
      if (t === undefined) continue;
      const next = narrowed(path, r, this.family, this.options);
      if (next === undefined) continue;
      if (t.name === 'DNAT') this.found.push({ path: next, rule: r });
      else if (!['ACCEPT', 'RETURN', 'DROP', 'MARK', 'LOG', 'NFLOG', 'MASQUERADE', 'SNAT', 'REDIRECT'].includes(t.name))
        this.walk(t.name, next);
      // A RETURN or ACCEPT without conditions ends the chain for every packet.
      if ((t.name === 'RETURN' || t.name === 'ACCEPT') && r.spec.options.length === 0 && r.spec.matches.length === 0)
        break;
    }
    this.#stack.delete(chain);
  }

  /**
   * A rule that demands a destination other than the host's, read from its line without parsing
   * it (`-A KUBE-SERVICES -d 10.96.0.10/32 …`: kube-proxy has tens of thousands).
   */
  #elsewhere(r: Rule, path: Path): boolean {
    if (this.options.routed || path.dst !== undefined) return false;
    const text = sourceText(r);
    if (text === undefined) return false;
    const m = /^(?:\[\d+:\d+\] )?-A \S+ -d (\S+) /.exec(text);
    const span = m === null ? undefined : spanOf(m[1]!, this.family);
    return span !== undefined && !this.options.local(span);
  }
}

const rangeKey = (ports: readonly (readonly [number, number])[] | undefined): string =>
  ports === undefined ? '*' : ports.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',');

function add(rows: Map<string, Published>, p: Published): void {
  const key = `${p.kind} ${p.proto} ${p.hostAddress ?? '*'} ${rangeKey(p.ports)}`;
  const old = rows.get(key);
  if (old === undefined) rows.set(key, p);
  else
    rows.set(key, {
      ...old,
      to: [...new Set([...old.to, ...p.to])],
      lines: [...new Set([...old.lines, ...p.lines])],
    });
}

/** Container ports that a filter rule accepts straight to a bridge (`-d C/32 -o docker0 -p tcp --dport 80 -j ACCEPT`). */
function directPorts(filter: Table | undefined, family: Family, rows: Map<string, Published>): void {
  if (filter === undefined) return;
  const host = family === 4 ? '/32' : '/128';
  for (const s of filter.body) {
    if (s.kind !== 'rule') continue;
    const text = sourceText(s);
    if (text !== undefined && !(text.includes(' -o ') && text.includes('ACCEPT') && text.includes(host))) continue;
    if (s.spec.target?.name !== 'ACCEPT') continue;
    const d = ruleDestination(s);
    const o = ruleOutInterface(s);
    const p = ruleProtocol(s);
    const ports = destinationPorts(s);
    if (d === undefined || d.negated || !d.value.endsWith(host) || o === undefined || o.negated) continue;
    if (p === undefined || p.negated || ports === undefined || ports.length !== 1) continue;
    const addr = d.value.slice(0, -host.length);
    const port = ports[0]![0] === ports[0]![1] ? `${ports[0]![0]}` : `${ports[0]![0]}-${ports[0]![1]}`;
    add(rows, {
      kind: 'direct',
      proto: p.value,
      hostAddress: d.value,
      ports,
      to: [family === 4 ? `${addr}:${port}` : `[${addr}]:${port}`],
      lines: s.source === undefined ? [] : [s.source.line],
    });
  }
}

/**
 * Every published port of a dump, DNATs first (those to an address of the host, unless
 * `routed`: kube-proxy's cluster and load-balancer IPs are reached only by packets routed to
 * the host) (in the order nat PREROUTING reaches them), then
 * container ports open without DNAT.
 */
export function publishedEntries(dump: IptablesDump, family: Family, options: EntryOptions): Published[] {
  const rows = new Map<string, Published>();
  const nat = tableOf(dump, 'nat');
  if (nat !== undefined) {
    const w = new Walker(nat, family, options);
    w.walk('PREROUTING', { depth: 0 });
    for (const { path, rule } of w.found) {
      add(rows, {
        kind: 'dnat',
        proto: path.proto ?? 'all',
        ...(path.dst === undefined ? {} : { hostAddress: path.dst }),
        ...(path.ports === undefined ? {} : { ports: path.ports }),
        to: [dnatTo(rule)],
        lines: rule.source === undefined ? [] : [rule.source.line],
      });
    }
  }
  directPorts(tableOf(dump, 'filter'), family, rows);
  return [...rows.values()];
}
