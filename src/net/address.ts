// IP addresses as bytes, read as inet_pton reads them and printed as glibc's inet_ntop prints
// them (iptables-save, ip6tables-save and ipset save all use it).
//
// inet_ntop(AF_INET6): lowercase, the longest run of two or more zero groups compressed to `::`
// (the first one on a tie), and the last 32 bits in dotted form for IPv4-mapped
// (`::ffff:1.2.3.4`) and IPv4-compatible (`::1.2.3.4`) addresses.
//
// IPv4 is validated with ipaddr.js (strict four-part decimal: `10.1`, `0x0a.0.0.1` and
// `010.0.0.1` are refused, as inet_pton refuses them). IPv6 is parsed here, as inet_pton does:
// ipaddr.js 2.5 reads `::1.2.3.4` as `::ffff:1.2.3.4` and accepts hex or zero-padded octets in
// the dotted part.

import ipaddr from 'ipaddr.js';
import type { Family } from './family.js';

export interface Address {
  family: Family;
  /** 4 or 16 bytes. */
  bytes: number[];
}

/** inet_pton(AF_INET): 4 bytes, or undefined. */
export function parseIPv4(text: string): number[] | undefined {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text).toByteArray() : undefined;
}

/** inet_pton(AF_INET6): 16 bytes, or undefined if the text is not an IPv6 address. No zone ids. */
export function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const dotted = parseIPv4(text.slice(lastColon + 1));
    if (dotted === undefined) return undefined;
    v4 = dotted;
    // Keep the colon before the dotted part: `::1.2.3.4` → `::`, `1::2:1.2.3.4` → `1::2:`.
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = (16 - v4.length) / 2;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const left = hexGroups(halves[0] ?? '');
    const right = hexGroups(halves[1] ?? '');
    if (left === undefined || right === undefined) return undefined;
    const zeros = groupsWanted - left.length - right.length;
    // `::` stands for at least one group of zeros (inet_pton refuses `1:2:3:4::5:6:7:8`).
    if (zeros < 1) return undefined;
    groups = [...left, ...new Array<number>(zeros).fill(0), ...right];
  } else {
    const all = hexGroups(head);
    if (all === undefined || all.length !== groupsWanted) return undefined;
    groups = all;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...v4];
}

function hexGroups(s: string): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  for (const g of s.split(':')) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  return out;
}

/** inet_ntop(AF_INET6) as glibc writes it. */
export function formatIPv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  const { base, len } = longestZeroRun(words);
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (base >= 0 && i >= base && i < base + len) {
      if (i === base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // Encapsulated IPv4: ::a.b.c.d (IPv4-compatible) or ::ffff:a.b.c.d (IPv4-mapped).
    if (i === 6 && base === 0 && (len === 6 || (len === 5 && words[5] === 0xffff))) {
      out += bytes.slice(12, 16).join('.');
      break;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (base >= 0 && base + len === 8) out += ':';
  return out;
}

/** The longest run of zero words, the first one on a tie; base -1 unless at least 2 long. */
function longestZeroRun(words: readonly number[]): { base: number; len: number } {
  let base = -1;
  let len = 0;
  let curBase = -1;
  let curLen = 0;
  words.forEach((w, i) => {
    if (w !== 0) {
      curBase = -1;
      return;
    }
    if (curBase < 0) {
      curBase = i;
      curLen = 1;
    } else curLen++;
    if (curLen > len) {
      base = curBase;
      len = curLen;
    }
  });
  return len < 2 ? { base: -1, len: 0 } : { base, len };
}

export function formatAddress(a: Address): string {
  return a.family === 4 ? a.bytes.join('.') : formatIPv6(a.bytes);
}

/** The bytes with all bits after the first `prefix` cleared. */
export function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => b & ((0xff << (8 - Math.max(0, Math.min(8, prefix - i * 8)))) & 0xff));
}

/** The bytes ANDed with a mask of the same length. */
export function andBytes(bytes: readonly number[], mask: readonly number[]): number[] {
  return bytes.map((b, i) => b & (mask[i] ?? 0));
}

/** Numeric order of addresses. */
export function compareBytes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export const v4ToNumber = (b: readonly number[]): number =>
  (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
export const numberToV4 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const v4Text = (n: number): string => numberToV4(n).join('.');
