// Set members as ipset stores them (docs/format.md#entries): an element written in any form ipset accepts
// is turned into the element(s) `ipset save` prints for it, for the set's type and family, so that
// members can be compared with a dump:
//   - `10.0.0.1/32` and `10.0.0.1` are one member of a hash:net; `10.1.2.3/8` is `10.0.0.0/8`;
//   - `80` is `tcp:80` in a port type; `icmp:8/0` is `icmp:echo-request`;
//   - ranges and CIDRs expand: one entry per address in hash:ip (per netmask block), a minimal
//     CIDR cover in net types, one entry per port in port ranges;
//   - a netmask or bitmask masks the stored address (`10.1.2.3` → `10.1.2.0` with netmask 24).
// Entries that ipset would refuse for the type and family are errors with a reason.
import type { IpsetOption } from './ast.js';
import {
  BITMAP_MAX,
  DEFAULT_MAXELEM,
  type SetHeader,
  TIMEOUT_MAX,
  parseCounter,
  parsePort,
  parseUint,
} from './header.js';
import { type Address, andBytes, formatAddress, maskBytes, numberToV4, v4Text, v4ToNumber } from '../net/address.js';
import { v4Cover } from '../net/cidr.js';
import { WELL_KNOWN_PORTS } from '../net/services.js';
import { type Family, bitsOf } from '../net/family.js';
import { type Result, fail, ok } from '../result.js';
import { parseAddress, parsePrefix, parseV4Range } from './inet.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, PORT_PROTOCOLS, icmpText, protocolName, protocolNumber } from './protocols.js';
import { SET_TYPE_INFO, type SetTypeName } from './settypes.js';
import { checkComment } from './limits.js';
import { checkSetName } from './set-name.js';
import { byteLength } from '../text/utf8.js';
import { fastV4Element } from './fast-v4.js';
import { quoted } from '../text/quote.js';

/** One member as ipset stores it: the element and its options, both in `ipset save` form. */
export interface Member {
  element: string;
  options: IpsetOption[];
}

/** More entries than this from one element are refused even when maxelem is higher. */
export const EXPANSION_LIMIT = 1 << 20;

type Parts = string[][];

/** Splits `a,b,c` into `n` parts; the last part keeps any further commas (an interface name may have one). */
function split(entry: string, n: number, what: string): Result<string[]> {
  const parts: string[] = [];
  let rest = entry;
  for (let i = 1; i < n; i++) {
    const c = rest.indexOf(',');
    if (c < 0) return fail(`${quoted(entry)} is not ${what}`);
    parts.push(rest.slice(0, c));
    rest = rest.slice(c + 1);
  }
  parts.push(rest);
  if (parts.some((p) => p === '')) return fail(`${quoted(entry)} is not ${what}`);
  return ok(parts);
}

function limitOf(h: SetHeader): number {
  if (h.type.startsWith('bitmap:')) return BITMAP_MAX;
  return Math.min(EXPANSION_LIMIT, Math.max(1, h.maxelem ?? DEFAULT_MAXELEM));
}

function tooMany(text: string, n: number, limit: number): string {
  return `${quoted(text)} expands to ${n} entries, more than the set can hold (${limit}): use a net type (hash:net) for large ranges`;
}

function familyOf(h: SetHeader): Family {
  return h.family ?? 4;
}

/**
 * The address part of hash:ip-like types: one address, or for IPv4 a CIDR or FROM-TO range that
 * ipset expands to one entry per address (per netmask block, docs/format.md#entries).
 */
function ipPart(text: string, h: SetHeader, expand: boolean, masked: boolean): Result<string[]> {
  const family = familyOf(h);
  const mask = (bytes: number[]): number[] => {
    if (!masked) return bytes;
    if (h.netmask !== undefined) return maskBytes(bytes, h.netmask);
    if (h.bitmaskBytes !== undefined) return andBytes(bytes, h.bitmaskBytes);
    return bytes;
  };
  const single = !text.includes('/') && !text.includes('-');
  if (family === 6 || !expand || single) {
    if (!single) {
      return fail(
        family === 6
          ? `${quoted(text)}: an IPv6 element must be a plain address (ipset expands CIDRs and ranges for IPv4 only)`
          : `${quoted(text)}: this part of the element must be a plain address`,
      );
    }
    const a = parseAddress(text, family);
    if (!a.ok) return a;
    return ok([formatAddress({ family, bytes: mask(a.value.bytes) })]);
  }
  const r = parseV4Range(text, 1);
  if (!r.ok) return r;
  const { from, to } = r.value;
  const block = masked && h.netmask !== undefined ? 2 ** (32 - h.netmask) : 1;
  const count = Math.floor(to / block) - Math.floor(from / block) + 1;
  const limit = limitOf(h);
  if (count > limit) return fail(tooMany(text, count, limit));
  const out = new Set<string>();
  for (let b = Math.floor(from / block); b <= Math.floor(to / block); b++) {
    out.add(v4Text(v4ToNumber(mask(numberToV4(Math.max(from, b * block))))));
  }
  return ok([...out]);
}

/**
 * A network part (hash:net and friends): `ADDR[/N]`, stored masked and printed without `/32`
 * (`/128`); an IPv4 `FROM-TO` range becomes its minimal CIDR cover (docs/format.md#entries).
 */
function netPart(text: string, h: SetHeader, allowRange: boolean, minPrefix: number): Result<string[]> {
  const family = familyOf(h);
  const bits = bitsOf(family);
  const show = (a: Address, p: number) => (p === bits ? formatAddress(a) : `${formatAddress(a)}/${p}`);
  if (text.includes('-')) {
    if (family === 6) return fail(`${quoted(text)}: IPv6 ranges are not supported by ipset (write a CIDR)`);
    if (!allowRange) return fail(`${quoted(text)}: this part of the element takes a CIDR, not a range`);
    const r = parseV4Range(text, minPrefix);
    if (!r.ok) return r;
    const cover = v4Cover(r.value.from, r.value.to);
    const limit = limitOf(h);
    if (cover.length > limit) return fail(tooMany(text, cover.length, limit));
    return ok(cover.map((c) => show({ family, bytes: numberToV4(c.addr) }, c.prefix)));
  }
  const slash = text.indexOf('/');
  const a = parseAddress(slash < 0 ? text : text.slice(0, slash), family);
  if (!a.ok) return a;
  let prefix = bits;
  if (slash >= 0) {
    const p = parsePrefix(text.slice(slash + 1), family, minPrefix);
    if (!p.ok) {
      if (text.slice(slash + 1).includes('.'))
        return fail(`${quoted(text)}: ipset refuses dotted netmasks; write a prefix length (e.g. /24)`);
      return p;
    }
    prefix = p.value;
  }
  return ok([show({ family, bytes: maskBytes(a.value.bytes, prefix) }, prefix)]);
}

/**
 * `[PROTO:]PORT` of the port types (ipset parse_proto_port): a bare port is TCP (`80` →
 * `tcp:80`); TCP, UDP, SCTP and UDPLite take a port or a FROM-TO range (one entry per port);
 * ICMP takes a name or TYPE/CODE (IPv4 sets only), ICMPv6 likewise (IPv6 sets only, printed
 * `ipv6-icmp:`); any other protocol takes the pseudo port 0 (`gre:0`).
 */
function portPart(text: string, h: SetHeader): Result<string[]> {
  const family = familyOf(h);
  const colon = text.indexOf(':');
  const protoText = colon < 0 ? 'tcp' : text.slice(0, colon);
  const portText = colon < 0 ? text : text.slice(colon + 1);
  const proto = protocolNumber(protoText);
  if (proto === undefined)
    return fail(
      `${quoted(protoText)} is not a protocol ipset knows (tcp, udp, sctp, udplite, icmp, icmpv6, or a name or number from /etc/protocols)`,
    );
  const name = protocolName(proto);
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    const v6 = proto === IPPROTO_ICMPV6;
    if (v6 !== (family === 6)) {
      return fail(
        `${quoted(text)}: ${v6 ? 'ICMPv6 needs an inet6 set' : 'ICMP needs an inet set (use icmpv6: in inet6 sets)'}`,
      );
    }
    const t = icmpText(v6, portText);
    if (t === undefined)
      return fail(
        `${quoted(portText)} is not an ${v6 ? 'ICMPv6' : 'ICMP'} type: write a name such as echo-request or TYPE/CODE (e.g. 8/0)`,
      );
    return ok([`${name}:${t}`]);
  }
  if (!PORT_PROTOCOLS.has(proto)) {
    const p = parsePort(portText);
    if (!p.ok || p.value !== 0)
      return fail(
        `${quoted(text)}: protocol ${name} has no ports; write ${name}:0 (ipset: "pseudo port value 0 only")`,
      );
    return ok([`${name}:0`]);
  }
  const ports = portRange(portText);
  if (!ports.ok) return ports;
  const { from, to } = ports.value;
  const limit = limitOf(h);
  if (to - from + 1 > limit) return fail(tooMany(text, to - from + 1, limit));
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${name}:${p}`);
  return ok(out);
}

/** `PORT` or `FROM-TO`, numbers only (ipset resolves service names; dfw does not). */
function portRange(text: string): Result<{ from: number; to: number }> {
  const m = /^([^-]+)-([^-]+)$/.exec(text);
  const one = (s: string): Result<number> => {
    if (/^[A-Za-z]/.test(s)) {
      const known = WELL_KNOWN_PORTS[s];
      return fail(
        `${quoted(s)} is a service name: dfw does not read /etc/services, write the port number${known === undefined ? '' : ` (${known})`}`,
      );
    }
    return parsePort(s);
  };
  if (!m) {
    const p = one(text);
    return p.ok ? ok({ from: p.value, to: p.value }) : p;
  }
  const a = one(m[1] ?? '');
  if (!a.ok) return a;
  const b = one(m[2] ?? '');
  if (!b.ok) return b;
  if (a.value > b.value) return fail(`port range ${quoted(text)} is reversed`);
  return ok({ from: a.value, to: b.value });
}

/** A MAC address as ipset prints it: six groups of two uppercase hex digits (observed). */
function macPart(text: string): Result<string> {
  const groups = text.split(':');
  if (groups.length !== 6 || groups.some((g) => !/^[0-9a-fA-F]{1,2}$/.test(g))) {
    return fail(`${quoted(text)} is not a MAC address (six hex groups separated by ":", e.g. 02:42:ac:11:00:02)`);
  }
  return ok(groups.map((g) => g.toUpperCase().padStart(2, '0')).join(':'));
}

/** hash:net,iface's `[physdev:]IFACE`: at most 15 bytes (IFNAMSIZ less the NUL). */
function ifacePart(text: string): Result<string> {
  const physdev = text.startsWith('physdev:');
  const name = physdev ? text.slice('physdev:'.length) : text;
  if (name === '') return fail(`${quoted(text)}: the interface name is missing`);
  const n = byteLength(name);
  if (n > 15) return fail(`interface name ${quoted(name)} is ${n} bytes long (at most 15)`);
  return ok(text);
}

function inRange(h: SetHeader, values: string[], toNumber: (s: string) => number, show: string): Result<string[]> {
  const r = h.range;
  if (r === undefined) return ok(values);
  for (const v of values) {
    const n = toNumber(v);
    if (n < r.from || n > r.to) return fail(`${v} is outside the set's range ${show}`);
  }
  return ok(values);
}

function cross(parts: Parts, limit: number, text: string): Result<string[]> {
  const total = parts.reduce((n, p) => n * p.length, 1);
  if (total > limit) return fail(tooMany(text, total, limit));
  let acc: string[] = [''];
  for (const [i, p] of parts.entries()) acc = acc.flatMap((a) => p.map((x) => (i === 0 ? x : `${a},${x}`)));
  return ok(acc);
}

function all(results: Result<string[]>[]): Result<Parts> {
  const out: Parts = [];
  for (const r of results) {
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}

const wrap = (r: Result<string>): Result<string[]> => (r.ok ? ok([r.value]) : r);

/** Types whose element is one part: a `,` in it is refused (ipset's "Elem separator ... supports none"). */
const ONE_PART: ReadonlySet<SetTypeName> = new Set(['hash:ip', 'hash:net', 'hash:mac', 'bitmap:ip', 'bitmap:port']);

/**
 * The element(s) ipset stores for `entry` in a set with header `h`, in `ipset save` form.
 * Several when ipset expands a range, CIDR or port range.
 */
export function normalizeElement(h: SetHeader, entry: string): Result<string[]> {
  return fastV4Element(h, entry) ?? generalElement(h, entry);
}

/**
 * normalizeElement for every type and form; exported for the test that fastV4Element equals it.
 * Over 80 lines: one case per set type, each a line or two, read best side by side.
 */
// eslint-disable-next-line max-lines-per-function
export function generalElement(h: SetHeader, entry: string): Result<string[]> {
  const type: SetTypeName = h.type;
  if (ONE_PART.has(type) && entry.includes(',')) {
    return fail(
      `${quoted(entry)} has more than one part, but a ${type} element is one (ipset: "Elem separator in ${entry}, but settype ${type} supports none")`,
    );
  }
  const limit = limitOf(h);
  const v4range = h.range === undefined ? '' : `${v4Text(h.range.from)}-${v4Text(h.range.to)}`;
  const n4 = (s: string) => v4ToNumber(s.split('.').map(Number));
  const parts = (n: number, what: string, each: ((s: string) => Result<string[]>)[]): Result<string[]> => {
    const s = split(entry, n, what);
    if (!s.ok) return s;
    const ps = all(s.value.map((p, i) => (each[i] ?? each[0] ?? ((x: string) => ok([x])))(p)));
    if (!ps.ok) return ps;
    return cross(ps.value, limit, entry);
  };
  const ip = (s: string) => ipPart(s, h, true, true);
  const plainIp = (s: string) => ipPart(s, h, false, false);
  const port = (s: string) => portPart(s, h);

  switch (type) {
    case 'bitmap:ip': {
      const r = ipPart(entry, h, true, true);
      return r.ok ? inRange(h, r.value, n4, v4range) : r;
    }
    case 'bitmap:ip,mac': {
      const comma = entry.indexOf(',');
      const a = ipPart(comma < 0 ? entry : entry.slice(0, comma), h, false, false);
      if (!a.ok) return a;
      const inside = inRange(h, a.value, n4, v4range);
      if (!inside.ok) return inside;
      if (comma < 0) return a;
      const m = macPart(entry.slice(comma + 1));
      return m.ok ? ok([`${a.value[0]},${m.value}`]) : m;
    }
    case 'bitmap:port': {
      // The protocol is only used to resolve service names; the bitmap stores the port.
      const text = entry.replace(/^(tcp|udp|sctp|udplite|TCP|UDP|SCTP|UDPLite):/, '');
      const p = portRange(text);
      if (!p.ok) return p;
      const out: string[] = [];
      for (let x = p.value.from; x <= p.value.to; x++) out.push(String(x));
      const show = h.range ? `${h.range.from}-${h.range.to}` : '';
      return inRange(h, out, Number, show);
    }
    case 'hash:ip':
      return ip(entry);
    case 'hash:ip,mac':
      return parts(2, 'IP,MAC', [plainIp, (s) => wrap(macPart(s))]);
    case 'hash:ip,mark':
      return parts(2, 'IP,MARK', [(s) => ipPart(s, h, true, false), (s) => markPart(s, h)]);
    case 'hash:ip,port':
      return parts(2, 'IP,[PROTO:]PORT', [ip, port]);
    case 'hash:ip,port,ip':
      return parts(3, 'IP,[PROTO:]PORT,IP', [(s) => ipPart(s, h, true, false), port, plainIp]);
    case 'hash:ip,port,net':
      return parts(3, 'IP,[PROTO:]PORT,IP[/CIDR]', [
        (s) => ipPart(s, h, true, false),
        port,
        (s) => netPart(s, h, false, 1),
      ]);
    case 'hash:mac':
      return wrap(macPart(entry));
    case 'hash:net':
      return netPart(entry, h, true, 1);
    case 'hash:net,iface':
      // /0 is allowed here (revision 2, "/0 network support"; observed).
      return parts(2, 'IP[/CIDR],[physdev:]IFACE', [(s) => netPart(s, h, true, 0), (s) => wrap(ifacePart(s))]);
    case 'hash:net,net':
      return parts(2, 'IP[/CIDR],IP[/CIDR]', [(s) => netPart(s, h, true, 1)]);
    case 'hash:net,port':
      return parts(2, 'IP[/CIDR],[PROTO:]PORT', [(s) => netPart(s, h, true, 1), port]);
    case 'hash:net,port,net':
      return parts(3, 'IP[/CIDR],[PROTO:]PORT,IP[/CIDR]', [
        (s) => netPart(s, h, true, 1),
        port,
        (s) => netPart(s, h, true, 1),
      ]);
    case 'list:set': {
      const bad = checkSetName(entry);
      return bad === undefined ? ok([entry]) : fail(bad);
    }
  }
}

/** hash:ip,mark's MARK, masked with the set's markmask and printed as 0x%08x. */
function markPart(text: string, h: SetHeader): Result<string[]> {
  const m = parseUint(text, 0xffffffff, 'mark');
  if (!m.ok) return m;
  const v = (m.value & (h.markmask ?? 0xffffffff)) >>> 0;
  return ok([`0x${v.toString(16).padStart(8, '0')}`]);
}

/** The `add` options in the order ipset save prints them (docs/format.md#entries). */
export const ADD_ORDER = [
  'before',
  'after',
  'timeout',
  'nomatch',
  'wildcard',
  'packets',
  'bytes',
  'comment',
  'skbmark',
  'skbprio',
  'skbqueue',
];

/** Options that describe the moment, not the member: never compared (timeout counts down, counters count). */
export const TRANSIENT_OPTIONS = new Set(['timeout', 'packets', 'bytes', 'before', 'after']);

export type OptionsResult = { ok: true; options: IpsetOption[] } | { ok: false; index: number; reason: string };

/**
 * Checks the options after an element for the command and the set (when its header is known),
 * and returns them in canonical form and order; values that mean "nothing" are dropped as the
 * kernel drops them (`skbqueue 0`, `skbprio 0:0`, `skbmark 0x0/0x0`; observed).
 */
export function normalizeEntryOptions(
  h: SetHeader | undefined,
  kind: 'add' | 'del' | 'test',
  options: readonly IpsetOption[],
): OptionsResult {
  const allowed = h === undefined ? undefined : SET_TYPE_INFO[h.type][kind];
  const seen = new Set<string>();
  const out: IpsetOption[] = [];
  for (const [index, o] of options.entries()) {
    const err = (reason: string): OptionsResult => ({ ok: false, index, reason });
    if (allowed !== undefined && h !== undefined && !allowed.includes(o.name)) {
      return err(
        allowed.length === 0
          ? `${kind} takes no options for a ${h.type} set, found ${o.name}`
          : `${o.name} is not an option of ${kind} for ${h.type} (it takes: ${allowed.join(', ')})`,
      );
    }
    if (
      seen.has(o.name) ||
      ((o.name === 'before' || o.name === 'after') && (seen.has('before') || seen.has('after')))
    ) {
      return err(`${o.name} already specified`);
    }
    seen.add(o.name);
    const v = o.value ?? '';
    const need = (flag: 'timeout' | 'counters' | 'comment' | 'skbinfo'): OptionsResult | undefined => {
      if (h === undefined) return undefined;
      const has = flag === 'timeout' ? h.timeout !== undefined : h[flag];
      return has ? undefined : err(`${o.name} needs a set created with ${flag} support (the set has none)`);
    };
    let bad: OptionsResult | undefined;
    let value: string | undefined = o.value;
    switch (o.name) {
      case 'timeout': {
        bad = need('timeout');
        const t = parseUint(v, TIMEOUT_MAX, 'timeout');
        if (!bad && !t.ok) bad = err(t.reason);
        if (t.ok) value = String(t.value);
        break;
      }
      case 'packets':
      case 'bytes': {
        bad = need('counters');
        const c = parseCounter(v, o.name);
        if (!bad && !c.ok) bad = err(c.reason);
        if (c.ok) value = c.value.toString();
        break;
      }
      case 'comment': {
        bad = need('comment');
        const reason = checkComment(v);
        if (!bad && reason !== undefined) bad = err(reason);
        break;
      }
      case 'skbmark':
      case 'skbprio':
      case 'skbqueue': {
        bad = need('skbinfo');
        const s = skbValue(o.name, v);
        if (!bad && !s.ok) bad = err(s.reason);
        if (s.ok) value = s.value;
        break;
      }
      case 'before':
      case 'after': {
        const reason = checkSetName(v);
        if (reason !== undefined) bad = err(reason);
        break;
      }
    }
    if (bad) return bad;
    if (value === '') continue; // a value meaning "none", which ipset save does not print
    out.push(value === undefined ? { name: o.name } : { name: o.name, value });
  }
  out.sort((a, b) => ADD_ORDER.indexOf(a.name) - ADD_ORDER.indexOf(b.name));
  return { ok: true, options: out };
}

/** skbmark `0xMARK[/0xMASK]`, skbprio `MAJOR:MINOR` (hex), skbqueue N; '' when the kernel keeps nothing. */
function skbValue(name: string, v: string): Result<string> {
  if (name === 'skbmark') {
    // ipset reads these with sscanf("0x%x/0x%x"): the 0x is required (observed: `skbmark 5` fails).
    const m = /^0[xX]([0-9a-fA-F]{1,8})(?:\/0[xX]([0-9a-fA-F]{1,8}))?$/.exec(v);
    if (!m) return fail(`skbmark must be 0xMARK or 0xMARK/0xMASK (hex, with 0x), found ${quoted(v)}`);
    const mark = parseInt(m[1] ?? '0', 16);
    const mask = m[2] === undefined ? 0xffffffff : parseInt(m[2], 16);
    if (mark === 0 && mask === 0) return ok('');
    return ok(mask === 0xffffffff ? `0x${mark.toString(16)}` : `0x${mark.toString(16)}/0x${mask.toString(16)}`);
  }
  if (name === 'skbprio') {
    const m = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(v);
    if (!m) return fail(`skbprio must be MAJOR:MINOR (hex tc class, e.g. 1:10), found ${quoted(v)}`);
    const major = parseInt(m[1] ?? '0', 16);
    const minor = parseInt(m[2] ?? '0', 16);
    if (major === 0 && minor === 0) return ok('');
    return ok(`${major.toString(16)}:${minor.toString(16)}`);
  }
  const q = parseUint(v, 65535, 'skbqueue');
  if (!q.ok) return q;
  return ok(q.value === 0 ? '' : String(q.value));
}

/** The text that identifies a member's state for comparison: element plus options that persist. */
export function memberKey(m: Member): string {
  return [m.element, ...m.options.filter((o) => !TRANSIENT_OPTIONS.has(o.name)).map(optionText)].join(' ');
}

/**
 * One option as ipset save prints it: comments always in double quotes (docs/format.md#entry-comments), raw
 * inside (ipset has no escapes: not quoted() from src/text, which is for messages).
 */
export function optionText(o: IpsetOption): string {
  if (o.value === undefined) return o.name;
  return o.name === 'comment' ? `${o.name} "${o.value}"` : `${o.name} ${o.value}`;
}

/** A readable, stable order for members of hash sets (ipset save's own order is the hash's). */
export function compareElements(a: string, b: string): number {
  return (collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'variant' })).compare(a, b);
}
// Made on first use: building a collator takes a few ms, which every dfw command would pay.
let collator: Intl.Collator | undefined;
