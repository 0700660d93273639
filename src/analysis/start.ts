// The packet as given, checked and turned into the walk's form; the host facts as lookups.
import { DfwError } from '../errors.js';
import { bitsOf } from '../net/family.js';
import type { Env, Pkt } from './packet.js';
import { type Net, addrText, inNet, isLoopback, maskLength, parseAddr, parseNet } from './net.js';
import type { Ruleset } from './ruleset.js';
import { protoNumber } from './sets.js';
import type { HostFacts, Packet, Tri } from './types.js';
import { deriveBridges } from './facts.js';

/** The ephemeral source port assumed when the packet gives none (in Linux's default range). */
export const DEFAULT_SPORT = 40000;

const PORTED = new Set([6, 17, 132, 136, 33]);

function checkPort(what: string, n: number | undefined): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 65535))
    throw new DfwError(`${what} ${n} is not a port (0-65535)`);
}

/** Throws DfwError with what is wrong when `p` is not a packet the ruleset's family can see. */
export function checkPacket(rs: Ruleset, p: Packet): void {
  if (p.family !== 4 && p.family !== 6) throw new DfwError(`family ${String(p.family)}: expected 4 or 6`);
  if (p.family !== rs.family)
    throw new DfwError(
      `an IPv${p.family} packet, but the dump is an IPv${rs.family} dump (ip${rs.family === 6 ? '6' : ''}tables-save)`,
    );
  if (typeof p.in !== 'string' || p.in === '' || p.in.length > 15 || /[\s/+]/.test(p.in))
    throw new DfwError(
      `interface ${JSON.stringify(p.in)}: expected the name of the interface the packet arrives on (e.g. eth0)`,
    );
  for (const [what, text] of [
    ['source', p.src],
    ['destination', p.dst],
  ] as const) {
    const a = parseAddr(text);
    if (a === undefined) throw new DfwError(`${what} ${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
    if (a.family !== p.family)
      throw new DfwError(`${what} ${text} is an IPv${a.family} address, but the dump is an IPv${p.family} dump`);
  }
  const proto = protoNumber(p.proto);
  if (proto === undefined)
    throw new DfwError(
      `protocol ${JSON.stringify(p.proto)} is not known (tcp, udp, sctp, icmp, ipv6-icmp or a number 1-255)`,
    );
  if ((p.dport !== undefined || p.sport !== undefined) && !PORTED.has(proto))
    throw new DfwError(`protocol ${p.proto} has no ports: --dport and --sport need tcp, udp or sctp`);
  if (PORTED.has(proto) && p.dport === undefined)
    throw new DfwError(`a ${p.proto} packet needs a destination port (--dport)`);
  checkPort('destination port', p.dport);
  checkPort('source port', p.sport);
  if (p.state !== 'new' && p.state !== 'established')
    throw new DfwError(`state ${JSON.stringify(p.state)}: expected new or established`);
  if (p.direction === 'reply' && p.state !== 'established')
    throw new DfwError('a reply packet belongs to an established connection');
}

export function startPacket(p: Packet): Pkt {
  const src = parseAddr(p.src)!.bytes;
  const unNatDst = parseAddr(p.dst)!.bytes;
  const dst = p.wireDst === undefined ? unNatDst : parseAddr(p.wireDst)!.bytes;
  const proto = protoNumber(p.proto);
  const reply = p.direction === 'reply';
  const sport = p.sport ?? DEFAULT_SPORT;
  // A reply's original tuple: the connection's first packet went from dst to origDst.
  const origDst = reply && p.origDst !== undefined ? parseAddr(p.origDst)!.bytes : reply ? src : dst;
  const origDport = reply ? (p.origDport ?? sport) : p.dport;
  const same = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x === b[i]);
  return {
    family: p.family,
    in: p.in,
    out: undefined,
    hook: 'PREROUTING',
    table: 'raw',
    src,
    dst,
    proto,
    sport,
    dport: p.dport,
    origDst,
    origDport,
    ct: 'none',
    ctAfter: p.state,
    dnat: reply && (!same(origDst, src) || origDport !== sport),
    snat: reply ? !same(dst, unNatDst) : p.state === 'new' ? false : undefined,
    wireDst: dst,
    reply,
    unNatDst,
    syn: proto === 6 && p.state === 'new',
  };
}

export interface Route {
  readonly hook: 'input' | 'forward';
  readonly out?: string;
}

interface RouteNet {
  readonly name: string;
  readonly net: Net;
  readonly length: number;
}

function netsOf(routes: HostFacts['routes'], family: 4 | 6): RouteNet[] {
  const nets = routes.flatMap((r) => {
    const net = parseNet(r.cidr);
    return net === undefined || net.family !== family ? [] : [{ name: r.name, net, length: maskLength(net.mask) }];
  });
  return nets.sort((a, b) => b.length - a.length);
}

/** The facts as lookups, each part computed when first needed: a trace on a big dump often needs only the bridges. */
class Facts {
  #locals: ReadonlySet<string> | undefined;
  #bridges: RouteNet[] | undefined;
  #all: RouteNet[] | undefined;

  constructor(private readonly rs: Ruleset) {}

  get complete(): boolean {
    return this.rs.given.localAddresses !== undefined && this.rs.given.localAddressesComplete !== false;
  }

  get locals(): ReadonlySet<string> {
    if (this.#locals === undefined) {
      const locals = new Set<string>();
      for (const a of this.rs.given.localAddresses ?? this.rs.facts.localAddresses) {
        const p = parseAddr(a.replace(/\/\d+$/, ''));
        if (p !== undefined && p.family === this.rs.family) locals.add(addrText(p.family, p.bytes));
      }
      this.#locals = locals;
    }
    return this.#locals;
  }

  /** Given routes, or the bridge networks alone. */
  get bridges(): RouteNet[] {
    this.#bridges ??= netsOf(this.rs.given.routes ?? deriveBridges(this.rs.tables, this.rs.family), this.rs.family);
    return this.#bridges;
  }

  /** Every route, given or derived. */
  get all(): RouteNet[] {
    this.#all ??= netsOf(this.rs.facts.routes, this.rs.family);
    return this.#all;
  }

  /** The most specific route covering an address: from the bridges when one covers it, else from every route. */
  route(b: readonly number[]): RouteNet | undefined {
    return this.bridges.find((n) => inNet(n.net, b)) ?? this.all.find((n) => inNet(n.net, b));
  }
}

const factsCache = new WeakMap<Ruleset, Facts>();

function factsOf(rs: Ruleset): Facts {
  let f = factsCache.get(rs);
  if (f === undefined) {
    f = new Facts(rs);
    factsCache.set(rs, f);
  }
  return f;
}

/** Where routing sends a packet that is not for the host: the most specific route, or no known interface. */
export function routeOf(rs: Ruleset, p: Pkt, local: boolean): Route {
  if (local) return { hook: 'input' };
  const r = factsOf(rs).route(p.dst);
  return r === undefined ? { hook: 'forward' } : { hook: 'forward', out: r.name };
}

export function makeEnv(rs: Ruleset): Env & { text: (b: readonly number[]) => string } {
  const f = factsOf(rs);
  const isLocal = (family: 4 | 6, b: readonly number[]): Tri => {
    if (isLoopback(family, b) || f.locals.has(addrText(family, b))) return true;
    if (f.complete) return false;
    // A container's own address (a host route to a bridge) is not the host's.
    const r = f.all.find((n) => inNet(n.net, b));
    return r !== undefined && r.length === bitsOf(family) ? false : 'unknown';
  };
  const isBroadcast = (family: 4 | 6, b: readonly number[]): boolean =>
    family === 4 &&
    f.bridges.some((n) => n.length <= 30 && inNet(n.net, b) && b.every((x, i) => (x | (n.net.mask[i] ?? 0)) === 0xff));
  return { sets: rs.sets, isLocal, isBroadcast, text: (b) => addrText(rs.family, b) };
}
