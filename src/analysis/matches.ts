// The `-m NAME` matches the evaluator models, each option a test. A match or option it does not
// model is one test that is always unknown, with its name: never a guess.
import type { Family, Match, Option } from '../iptables/ast.js';
import { compareBytes } from '../net/address.js';
import { type Test, optText } from './compile.js';
import { addrText, inNet, isLoopback, isMulticast, parseAddr, parseNet } from './net.js';
import type { Env, Pkt } from './packet.js';
import type { Tri } from './types.js';

const not = (v: Tri, negated: boolean): Tri => (v === 'unknown' ? v : negated ? !v : v);
const unknownTest = (text: string, why: string): Test => ({ text, eval: () => 'unknown', detail: () => why });

type PortRange = readonly [number, number];

function portRanges(text: string, sep: RegExp): PortRange[] | undefined {
  const out: PortRange[] = [];
  for (const part of text.split(sep)) {
    const m = /^(\d*)(?::(\d*))?$/.exec(part);
    if (m === null) return undefined;
    const lo = m[1] === '' ? 0 : Number(m[1]);
    const hi = m[2] === undefined ? lo : m[2] === '' ? 65535 : Number(m[2]);
    if (!(lo <= 65535 && hi <= 65535)) return undefined;
    out.push([lo, hi]);
  }
  return out;
}

const inRanges = (rs: readonly PortRange[], n: number): boolean => rs.some(([lo, hi]) => n >= lo && n <= hi);

const PORT_PROTOS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, udplite: 136, dccp: 33 };
const PORTED = new Set(Object.values(PORT_PROTOS));

/** A port test (`--dport`, `--dports`, `--ports`); `proto` when the match is one protocol's (`-m tcp`). */
function portTest(o: Option, which: 'src' | 'dst' | 'either', proto: number | undefined, list: boolean): Test {
  const text = optText(o);
  const ranges = portRanges(o.values[0] ?? '', list ? /,/ : /^$/);
  if (ranges === undefined) return unknownTest(text, `cannot read ports ${o.values[0] ?? ''}`);
  return {
    text,
    // The protocol check is not negated: `! --dport 80` still needs a TCP packet.
    eval: (p) => {
      if (p.proto === undefined) return 'unknown';
      if (proto !== undefined ? p.proto !== proto : !PORTED.has(p.proto)) return false;
      const ports = which === 'src' ? [p.sport] : which === 'dst' ? [p.dport] : [p.sport, p.dport];
      if (ports.some((x) => x === undefined)) return 'unknown';
      return not(
        ports.some((x) => inRanges(ranges, x!)),
        o.negated,
      );
    },
    detail: (p) => `protocol ${p.proto ?? '?'}, source port ${p.sport}, destination port ${p.dport ?? 'none'}`,
  };
}

function protoMatch(m: Match): Test[] {
  const proto = PORT_PROTOS[m.name];
  return m.options.map((o) => {
    switch (o.flag) {
      case '--dport':
      case '--destination-port':
        return portTest(o, 'dst', proto, false);
      case '--sport':
      case '--source-port':
        return portTest(o, 'src', proto, false);
      case '--syn':
        return {
          text: optText(o),
          eval: (p: Pkt) => (p.proto !== 6 ? false : not(p.syn, o.negated)),
          detail: (p: Pkt) => (p.syn ? 'a SYN (first packet)' : 'not a SYN'),
        };
      case '--tcp-flags':
        return tcpFlags(o);
      default:
        return unknownTest(optText(o), `-m ${m.name} ${o.flag} is not modelled`);
    }
  });
}

/** `--tcp-flags MASK COMP`: a new connection's packet is a lone SYN; an established one's flags are not known. */
function tcpFlags(o: Option): Test {
  const flags = (s: string): Set<string> =>
    new Set(
      s.split(',').flatMap((f) => (f === 'ALL' ? ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] : f === 'NONE' ? [] : [f])),
    );
  const mask = flags(o.values[0] ?? '');
  const comp = flags(o.values[1] ?? '');
  return {
    text: optText(o),
    eval: (p) => {
      if (p.proto !== 6) return false;
      if (!p.syn) return 'unknown';
      const set = new Set<string>([...mask].filter((f) => f === 'SYN'));
      return not(set.size === comp.size && [...comp].every((f) => set.has(f)), o.negated);
    },
    detail: (p) => (p.syn ? 'flags SYN' : 'the flags of an established packet are not known'),
  };
}

function multiport(m: Match): Test[] {
  return m.options.map((o) => {
    switch (o.flag) {
      case '--dports':
      case '--destination-ports':
        return portTest(o, 'dst', undefined, true);
      case '--sports':
      case '--source-ports':
        return portTest(o, 'src', undefined, true);
      case '--ports':
        return portTest(o, 'either', undefined, true);
      default:
        return unknownTest(optText(o), `-m multiport ${o.flag} is not modelled`);
    }
  });
}

const CT_STATES = new Set(['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT']);

/** The states conntrack gives the packet (`--ctstate`); `virtual` adds DNAT (not `-m state`). */
function ctStates(p: Pkt, virtual: boolean): Set<string> {
  if (p.ct === 'none') return new Set(['INVALID']);
  if (p.ct === 'untracked') return new Set(['UNTRACKED']);
  const s = new Set([p.ct === 'new' ? 'NEW' : 'ESTABLISHED']);
  if (virtual && p.dnat) s.add('DNAT');
  return s;
}

/** A reply's connection may have been masqueraded on its way out: whether it has SNAT is not known. */
const snatUnknown = (p: Pkt, virtual: boolean): boolean =>
  virtual && p.reply && p.ct !== 'none' && p.ct !== 'untracked';

function stateTest(o: Option, virtual: boolean): Test {
  const wanted = (o.values[0] ?? '').split(',');
  const text = optText(o);
  if (wanted.some((w) => !CT_STATES.has(w))) return unknownTest(text, `state ${o.values[0] ?? ''} is not known`);
  return {
    text,
    eval: (p) => {
      const s = ctStates(p, virtual);
      if (wanted.some((w) => s.has(w))) return not(true, o.negated);
      return wanted.includes('SNAT') && snatUnknown(p, virtual) ? 'unknown' : not(false, o.negated);
    },
    detail: (p) => `state ${[...ctStates(p, virtual)].join(',')}${snatUnknown(p, virtual) ? ' (SNAT not known)' : ''}`,
  };
}

/** An address of conntrack's tuples: undefined when the packet is not tracked. */
function ctAddr(p: Pkt, which: string): readonly number[] | undefined | 'unknown' {
  if (p.ct === 'none' || p.ct === 'untracked') return undefined;
  if (p.reply) {
    // Original: the other end's connection; its source was the container, its destination us.
    if (which === '--ctorigsrc') return p.dst;
    if (which === '--ctorigdst' || which === '--ctrepldst') return 'unknown';
    return p.src;
  }
  if (which === '--ctorigsrc') return p.src;
  if (which === '--ctorigdst') return p.origDst;
  if (which === '--ctreplsrc') return p.dst;
  return 'unknown'; // --ctrepldst: set by SNAT/MASQUERADE later, in POSTROUTING
}

function ctPort(p: Pkt, which: string): number | undefined | 'unknown' {
  if (p.ct === 'none' || p.ct === 'untracked' || p.reply) return p.reply ? 'unknown' : undefined;
  if (which === '--ctorigsrcport') return p.sport;
  if (which === '--ctorigdstport') return p.origDport;
  if (which === '--ctreplsrcport') return p.dport;
  return 'unknown';
}

function conntrack(m: Match): Test[] {
  return m.options.map((o): Test => {
    const text = optText(o);
    const v = o.values[0] ?? '';
    switch (o.flag) {
      case '--ctstate':
        return stateTest(o, true);
      case '--ctorigsrc':
      case '--ctorigdst':
      case '--ctreplsrc':
      case '--ctrepldst': {
        const net = parseNet(v);
        if (net === undefined) return unknownTest(text, `cannot read ${v}`);
        return {
          text,
          eval: (p) => {
            const a = ctAddr(p, o.flag);
            return a === 'unknown' ? a : a === undefined ? false : not(inNet(net, a), o.negated);
          },
          detail: (p) => {
            const a = ctAddr(p, o.flag);
            return a === 'unknown'
              ? `${o.flag.slice(2)} is not known here`
              : a === undefined
                ? 'not tracked'
                : `${o.flag.slice(2)} ${addrText(p.family, a)}`;
          },
        };
      }
      case '--ctorigsrcport':
      case '--ctorigdstport':
      case '--ctreplsrcport':
      case '--ctrepldstport': {
        const ranges = portRanges(v, /^$/);
        if (ranges === undefined) return unknownTest(text, `cannot read ${v}`);
        return {
          text,
          eval: (p) => {
            const n = ctPort(p, o.flag);
            return n === 'unknown' ? n : n === undefined ? false : not(inRanges(ranges, n), o.negated);
          },
          detail: (p) => `${o.flag.slice(2)} ${String(ctPort(p, o.flag) ?? 'none')}`,
        };
      }
      case '--ctdir':
        return {
          text,
          eval: (p) => (p.ct === 'none' || p.ct === 'untracked' ? false : not((v === 'REPLY') === p.reply, o.negated)),
          detail: (p) => `direction ${p.reply ? 'REPLY' : 'ORIGINAL'}`,
        };
      case '--ctproto': {
        const n =
          v === 'all'
            ? 0
            : Number(
                /^\d+$/.test(v)
                  ? v
                  : (({ tcp: 6, udp: 17, sctp: 132, icmp: 1, 'ipv6-icmp': 58 } as Record<string, number>)[v] ?? NaN),
              );
        if (Number.isNaN(n)) return unknownTest(text, `protocol ${v} is not known`);
        return {
          text,
          eval: (p) => (p.proto === undefined ? 'unknown' : not(n === 0 || n === p.proto, o.negated)),
          detail: (p) => `protocol ${p.proto ?? '?'}`,
        };
      }
      default:
        return unknownTest(text, `-m conntrack ${o.flag} is not modelled`);
    }
  });
}

function setMatch(m: Match): Test[] {
  return m.options.map((o): Test => {
    const text = optText(o);
    if (o.flag === '--update-counters' || o.flag === '--update-subcounters')
      return { text, eval: () => true, detail: () => 'counters only' };
    if (o.flag !== '--match-set' && o.flag !== '--set') return unknownTest(text, `-m set ${o.flag} is not modelled`);
    const [name = '', dirs = ''] = o.values;
    const flags = dirs.split(',').filter((d): d is 'src' | 'dst' => d === 'src' || d === 'dst');
    const key = (p: Pkt) => ({
      family: p.family,
      src: p.src,
      dst: p.dst,
      proto: p.proto,
      sport: p.sport,
      dport: p.dport,
    });
    return {
      text,
      eval: (p, env) => not(env.sets.test(name, flags, key(p)).value, o.negated),
      detail: (p, env) => env.sets.test(name, flags, key(p)).why,
    };
  });
}

const ADDR_TYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];

/** Whether an address has one of the route types (`--dst-type LOCAL`). */
function hasType(type: string, family: Family, b: readonly number[], env: Env): Tri {
  const local = isLoopback(family, b) ? true : env.isLocal(family, b);
  const multicast = isMulticast(family, b);
  const broadcast = family === 4 && (b.every((x) => x === 255) || env.isBroadcast(family, b));
  const unspec = b.every((x) => x === 0);
  switch (type) {
    case 'LOCAL':
      return local;
    case 'MULTICAST':
      return multicast;
    case 'BROADCAST':
      return broadcast && local !== true;
    case 'UNSPEC':
      return unspec;
    case 'UNICAST':
      if (multicast || broadcast || unspec) return false;
      return local === 'unknown' ? 'unknown' : !local;
    default:
      // Blackhole, unreachable, prohibit, throw routes: the dump does not show the routing table.
      return multicast || broadcast || local === true ? false : 'unknown';
  }
}

function anyType(types: readonly string[], family: Family, b: readonly number[], env: Env): Tri {
  let r: Tri = false;
  for (const t of types) {
    const v = hasType(t, family, b, env);
    if (v === true) return true;
    if (v === 'unknown') r = 'unknown';
  }
  return r;
}

function addrtype(m: Match): Test[] {
  const limited = m.options.some((o) => o.flag === '--limit-iface-in' || o.flag === '--limit-iface-out');
  return m.options.flatMap((o): Test[] => {
    const text = optText(o);
    if (o.flag === '--limit-iface-in' || o.flag === '--limit-iface-out') return [];
    if (o.flag !== '--src-type' && o.flag !== '--dst-type')
      return [unknownTest(text, `-m addrtype ${o.flag} is not modelled`)];
    const types = (o.values[0] ?? '').split(',');
    if (types.some((t) => !ADDR_TYPES.includes(t)))
      return [unknownTest(text, `address type ${o.values[0] ?? ''} is not known`)];
    const key = o.flag === '--src-type' ? 'src' : 'dst';
    return [
      {
        text,
        eval: (p, env) => {
          const v = anyType(types, p.family, p[key], env);
          // With --limit-iface-*, LOCAL means "an address of that interface": known only when not local at all.
          if (limited && v !== false) return 'unknown';
          return not(v, o.negated);
        },
        detail: (p, env) => {
          const a = addrText(p.family, p[key]);
          if (limited) return `${a}: which interface holds it is not known (--limit-iface)`;
          const local = env.isLocal(p.family, p[key]);
          return local === 'unknown'
            ? `whether ${a} is an address of the host is not known (--local)`
            : `${a} is ${local || isLoopback(p.family, p[key]) ? '' : 'not '}local`;
        },
      },
    ];
  });
}

function iprange(m: Match): Test[] {
  return m.options.map((o): Test => {
    const text = optText(o);
    if (o.flag !== '--src-range' && o.flag !== '--dst-range')
      return unknownTest(text, `-m iprange ${o.flag} is not modelled`);
    const [from, to] = (o.values[0] ?? '').split('-');
    const a = parseAddr(from ?? '');
    const b = parseAddr(to ?? from ?? '');
    if (a === undefined || b === undefined) return unknownTest(text, `cannot read range ${o.values[0] ?? ''}`);
    const key = o.flag === '--src-range' ? 'src' : 'dst';
    return {
      text,
      eval: (p) => not(compareBytes(p[key], a.bytes) >= 0 && compareBytes(p[key], b.bytes) <= 0, o.negated),
      detail: (p) => `${key === 'src' ? 'source' : 'destination'} ${addrText(p.family, p[key])}`,
    };
  });
}

/** The tests of one `-m NAME` section. */
export function matchTests(m: Match, _family: Family): Test[] {
  switch (m.name) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite':
      return protoMatch(m);
    case 'multiport':
      return multiport(m);
    case 'conntrack':
      return conntrack(m);
    case 'state':
      return m.options.map((o) =>
        o.flag === '--state' ? stateTest(o, false) : unknownTest(optText(o), `-m state ${o.flag}`),
      );
    case 'set':
      return setMatch(m);
    case 'addrtype':
      return addrtype(m);
    case 'iprange':
      return iprange(m);
    case 'comment':
      return [];
    case 'icmp':
    case 'icmp6':
    case 'icmpv6': {
      const proto = m.name === 'icmp' ? 1 : 58;
      const text = `-m ${m.name} ${m.options.map(optText).join(' ')}`.trim();
      return [
        { text, eval: (p) => (p.proto === proto ? 'unknown' : false), detail: () => 'ICMP types are not modelled' },
      ];
    }
    default: {
      const text = `-m ${m.name} ${m.options.map(optText).join(' ')}`.trim();
      return [unknownTest(text, `-m ${m.name} is not modelled`)];
    }
  }
}
