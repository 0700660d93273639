// Addresses and CIDRs of a policy, normalised to the text iptables-save / ip6tables-save print.
//
// iptables-save prints a source or destination as `addr/len`, with `/32` (or `/128`) on host
// addresses, and the kernel stores the address already masked, so `-s 10.1.2.3/8` saves as
// `-s 10.0.0.0/8` (docs/format.md#addresses). ip6tables-save formats addresses with glibc's inet_ntop:
// lowercase, the longest run of two or more zero groups compressed to `::` (the first one on a
// tie), and the last 32 bits in dotted form for IPv4-mapped (`::ffff:1.2.3.4`) and
// IPv4-compatible (`::1.2.3.4`) addresses.
//
// IPv4 is validated with ipaddr.js (strict four-part decimal: `10.1`, `0x0a.0.0.1` and `010.0.0.1`
// are refused, as they are by inet_pton). IPv6 is parsed here, as inet_pton does: ipaddr.js 2.5
// reads `::1.2.3.4` as `::ffff:1.2.3.4` and accepts hex or zero-padded octets in the dotted part.

import ipaddr from 'ipaddr.js';
import type { Family } from './types.js';

export interface Cidr {
  family: Family;
  /** Canonical `addr/len`, as iptables-save prints it. */
  cidr: string;
  /** The prefix length (0 only when the caller allows it). */
  prefix: number;
}

export type AddressResult = { ok: true; value: Cidr } | { ok: false; reason: string };

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses `ADDR` or `ADDR/LEN` (IPv4 or IPv6) and returns it masked and in canonical form.
 * `/0` is returned as is (prefix 0): the caller decides whether "everyone" is acceptable.
 * Reasons are phrased to follow "expected ..., found X".
 */
export function parseCidr(text: string): AddressResult {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const len = slash < 0 ? undefined : text.slice(slash + 1);

  let family: Family;
  let bytes: number[];
  if (addr.includes(':')) {
    const parsed = parseIPv6(addr);
    if (parsed === undefined) return { ok: false, reason: `"${addr}" is not a valid IPv6 address` };
    family = 6;
    bytes = parsed;
  } else if (/^[0-9.]+$/.test(addr)) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(addr)) {
      return {
        ok: false,
        reason: `"${addr}" is not a valid IPv4 address (four decimal numbers 0-255, no leading zeros)`,
      };
    }
    family = 4;
    bytes = ipaddr.IPv4.parse(addr).toByteArray();
  } else {
    return { ok: false, reason: `"${addr}" is not an IPv4 or IPv6 address (host names are not resolved)` };
  }

  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (len !== undefined) {
    if (len.includes('.') || len.includes(':')) {
      return { ok: false, reason: `"/${len}": write the netmask as a prefix length (e.g. /24)` };
    }
    if (!PREFIX.test(len) || Number(len) > bits) {
      return { ok: false, reason: `"/${len}" is not a prefix length for IPv${family} (0-${bits})` };
    }
    prefix = Number(len);
  }

  const masked = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  const shown = family === 4 ? masked.join('.') : formatIPv6(masked);
  return { ok: true, value: { family, cidr: `${shown}/${prefix}`, prefix } };
}

/** inet_pton(AF_INET6): 16 bytes, or undefined if the text is not an IPv6 address. No zone ids. */
export function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const dotted = text.slice(lastColon + 1);
    if (!ipaddr.IPv4.isValidFourPartDecimal(dotted)) return undefined;
    v4 = ipaddr.IPv4.parse(dotted).toByteArray();
    // Keep the colon before the dotted part: `::1.2.3.4` → `::`, `1::2:1.2.3.4` → `1::2:`.
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = (16 - v4.length) / 2;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (halves.length === 2) {
    const left = parseGroups(halves[0] ?? '');
    const right = parseGroups(halves[1] ?? '');
    if (left === undefined || right === undefined) return undefined;
    const zeros = groupsWanted - left.length - right.length;
    // `::` stands for at least one group of zeros (inet_pton refuses `1:2:3:4::5:6:7:8`).
    if (zeros < 1) return undefined;
    groups = [...left, ...new Array<number>(zeros).fill(0), ...right];
  } else {
    const all = parseGroups(head);
    if (all === undefined || all.length !== groupsWanted) return undefined;
    groups = all;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...v4];
}

/** inet_ntop(AF_INET6) as glibc writes it (ip6tables-save uses it for every address). */
export function formatIPv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // Longest run of zero words, first one on a tie, only if at least 2 long.
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  words.forEach((w, i) => {
    if (w === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  });
  if (bestLen < 2) bestBase = -1;

  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // Encapsulated IPv4: ::a.b.c.d (IPv4-compatible) or ::ffff:a.b.c.d (IPv4-mapped).
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += bytes.slice(12, 16).join('.');
      break;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}
