// Set membership for `-m set --match-set NAME FLAGS`, from the members of an `ipset save` dump
// as src/ipset stores them (src/ipset/state.ts). A set the dump does not have is unknown, not
// empty: the rule then depends on what the host holds.
import type { IpsetDump } from '../ipset/ast.js';
import { type SetState, dumpState } from '../ipset/state.js';
import { protocolNumber } from '../ipset/protocols.js';
import type { Family } from '../net/family.js';
import { type Net, addrText, inNet, maskLength, parseNet } from './net.js';
import type { Tri } from './types.js';

/** The parts of a packet a set looks at: the source or destination address and port. */
export interface SetKey {
  readonly family: Family;
  readonly src: readonly number[];
  readonly dst: readonly number[];
  readonly proto: number | undefined;
  readonly sport: number | undefined;
  readonly dport: number | undefined;
}

export interface SetAnswer {
  readonly value: Tri;
  readonly why: string;
}

interface NetEntry {
  readonly net: Net;
  readonly length: number;
  readonly port?: string;
  readonly nomatch: boolean;
}

/** One set, indexed for lookups. */
interface IndexedSet {
  readonly state: SetState;
  /** hash:ip, bitmap:ip: elements as text; hash:ip,port: `ADDR,proto:port`. */
  readonly exact?: ReadonlySet<string>;
  /** net types: entries, most specific first (ipset's nomatch: the most specific entry decides). */
  readonly nets?: readonly NetEntry[];
}

export class SetIndex {
  readonly #sets: Map<string, SetState> | undefined;
  readonly #indexed = new Map<string, IndexedSet>();

  constructor(dump: IpsetDump | undefined) {
    this.#sets = dump === undefined ? undefined : dumpState(dump);
  }

  get given(): boolean {
    return this.#sets !== undefined;
  }

  /** The sets' states (members as ipset save prints them), or undefined without an ipset dump. */
  get states(): ReadonlyMap<string, SetState> | undefined {
    return this.#sets;
  }

  /** Whether the packet is in set `name`, the set's dimensions taken from `flags` (`src`, `dst`, `src,dst`). */
  test(name: string, flags: readonly ('src' | 'dst')[], key: SetKey, depth = 0): SetAnswer {
    if (this.#sets === undefined) return { value: 'unknown', why: `set ${name}: no ipset dump given (--ipsets)` };
    const s = this.#sets.get(name);
    if (s === undefined) return { value: 'unknown', why: `set ${name} is not in the ipset dump` };
    if (s.header.type === 'list:set') return this.#list(s, flags, key, depth);
    const ix = this.#index(s);
    const value = lookup(ix, flags, key);
    if (value === 'unknown') return { value, why: `set ${name}: type ${s.header.type} is not modelled` };
    return { value, why: `${value ? '' : 'not '}in set ${name}` };
  }

  #list(s: SetState, flags: readonly ('src' | 'dst')[], key: SetKey, depth: number): SetAnswer {
    if (depth > 0) return { value: 'unknown', why: `set ${s.name}: a list:set inside a list:set` };
    let unknown: SetAnswer | undefined;
    for (const m of s.members.keys()) {
      const a = this.test(m, flags, key, depth + 1);
      if (a.value === true) return { value: true, why: `in set ${s.name} (member set ${m})` };
      if (a.value === 'unknown') unknown ??= a;
    }
    return unknown ?? { value: false, why: `not in set ${s.name} (nor in any set it lists)` };
  }

  #index(s: SetState): IndexedSet {
    let ix = this.#indexed.get(s.name);
    if (ix === undefined) {
      ix = indexSet(s);
      this.#indexed.set(s.name, ix);
    }
    return ix;
  }
}

function indexSet(s: SetState): IndexedSet {
  const type = s.header.type;
  if (type === 'hash:ip' || type === 'hash:ip,port' || type === 'bitmap:ip')
    return { state: s, exact: new Set(s.members.keys()) };
  if (type === 'hash:net' || type === 'hash:net,port') {
    const nets: NetEntry[] = [];
    for (const m of s.members.values()) {
      const comma = m.element.indexOf(',');
      const net = parseNet(comma < 0 ? m.element : m.element.slice(0, comma));
      if (net === undefined) continue;
      nets.push({
        net,
        length: maskLength(net.mask),
        ...(comma < 0 ? {} : { port: m.element.slice(comma + 1) }),
        nomatch: m.options.some((o) => o.name === 'nomatch'),
      });
    }
    nets.sort((a, b) => b.length - a.length);
    return { state: s, nets };
  }
  return { state: s };
}

/** `proto:port` as ipset save prints a port part (`tcp:80`), for the packet. */
function portPart(key: SetKey, flag: 'src' | 'dst'): string | undefined {
  const port = flag === 'src' ? key.sport : key.dport;
  if (key.proto === undefined || port === undefined) return undefined;
  const name = key.proto === 6 ? 'tcp' : key.proto === 17 ? 'udp' : key.proto === 132 ? 'sctp' : undefined;
  return name === undefined ? undefined : `${name}:${port}`;
}

function lookup(ix: IndexedSet, flags: readonly ('src' | 'dst')[], key: SetKey): Tri {
  const h = ix.state.header;
  if (h.family !== undefined && h.family !== key.family) return false;
  const first = flags[0] ?? 'src';
  let addr = first === 'src' ? key.src : key.dst;
  const withPort = h.type === 'hash:ip,port' || h.type === 'hash:net,port';
  const port = withPort ? portPart(key, flags[1] ?? first) : undefined;
  if (withPort && port === undefined) return false;
  if (ix.exact !== undefined) {
    if (h.netmask !== undefined) addr = parseNet(`${addrText(key.family, addr)}/${h.netmask}`)?.bytes ?? addr;
    const text = addrText(key.family, addr);
    return ix.exact.has(port === undefined ? text : `${text},${port}`);
  }
  if (ix.nets !== undefined) {
    for (const e of ix.nets) if (inNet(e.net, addr) && (port === undefined || e.port === port)) return !e.nomatch;
    return false;
  }
  return 'unknown';
}

/** The protocol number of `-p` / ipset's protocol word. */
export const protoNumber = (text: string): number | undefined => protocolNumber(text.toLowerCase());
