// The packet as given, checked and turned into the walk's form; the host facts as lookups.
import { DfwError } from '../errors.js';
import { bitsOf } from '../net/family.js';
import type { Env, Pkt } from './packet.js';
import { type Net, addrText, inNet, isLoopback, maskLength, parseAddr, parseNet } from './net.js';
import type { Ruleset } from './ruleset.js';
import { protoNumber } from './sets.js';
import type { Packet, Tri } from './types.js';

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
  const dst = parseAddr(p.dst)!.bytes;
  const proto = protoNumber(p.proto);
  const reply = p.direction === 'reply';
  return {
    family: p.family,
    in: p.in,
    out: undefined,
    hook: 'PREROUTING',
    table: 'raw',
    src,
    dst,
    proto,
    sport: p.sport ?? DEFAULT_SPORT,
    dport: p.dport,
    origDst: dst,
    origDport: p.dport,
    ct: 'none',
    ctAfter: p.state,
    dnat: false,
    reply,
    syn: proto === 6 && p.state === 'new',
  };
}

export interface Route {
  readonly hook: 'input' | 'forward';
  readonly out?: string;
}

interface Facts {
  readonly locals: ReadonlySet<string>;
  readonly nets: readonly { name: string; net: Net; length: number }[];
}

const factsCache = new WeakMap<Ruleset, Facts>();

function factsOf(rs: Ruleset): Facts {
  let f = factsCache.get(rs);
  if (f === undefined) {
    const locals = new Set<string>();
    for (const a of rs.facts.localAddresses) {
      const p = parseAddr(a.replace(/\/\d+$/, ''));
      if (p !== undefined && p.family === rs.family) locals.add(addrText(p.family, p.bytes));
    }
    const nets = rs.facts.routes.flatMap((r) => {
      const net = parseNet(r.cidr);
      return net === undefined || net.family !== rs.family ? [] : [{ name: r.name, net, length: maskLength(net.mask) }];
    });
    nets.sort((a, b) => b.length - a.length);
    f = { locals, nets };
    factsCache.set(rs, f);
  }
  return f;
}

/** Where routing sends a packet that is not for the host: the most specific route, or no known interface. */
export function routeOf(rs: Ruleset, p: Pkt, local: boolean): Route {
  if (local) return { hook: 'input' };
  const r = factsOf(rs).nets.find((n) => inNet(n.net, p.dst));
  return r === undefined ? { hook: 'forward' } : { hook: 'forward', out: r.name };
}

export function makeEnv(rs: Ruleset): Env & { text: (b: readonly number[]) => string } {
  const f = factsOf(rs);
  const complete = rs.facts.localAddressesComplete === true;
  const isLocal = (family: 4 | 6, b: readonly number[]): Tri => {
    if (isLoopback(family, b) || f.locals.has(addrText(family, b))) return true;
    if (complete) return false;
    // A container's own address (a host route to a bridge) is not the host's.
    const r = f.nets.find((n) => inNet(n.net, b));
    return r !== undefined && r.length === bitsOf(family) ? false : 'unknown';
  };
  const isBroadcast = (family: 4 | 6, b: readonly number[]): boolean =>
    family === 4 &&
    f.nets.some((n) => n.length <= 30 && inNet(n.net, b) && b.every((x, i) => (x | (n.net.mask[i] ?? 0)) === 0xff));
  return { sets: rs.sets, isLocal, isBroadcast, text: (b) => addrText(rs.family, b) };
}
