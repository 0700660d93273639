// Addresses as ipset reads and prints them.
//
// ipset reads addresses with getaddrinfo(), so it also takes host names and inet_aton() forms
// (`010.0.0.1` is 8.0.0.1, observed). dfw never resolves names and refuses leading zeros rather
// than guess. IPv6 addresses print as glibc's inet_ntop() writes them (`::ffff:1.2.3.4`,
// `::1.2.3.4`, but `::2`; observed with ipset save), which src/policy/addresses.ts implements.
import { formatIPv6, parseIPv6 } from '../policy/addresses.js';

export type Family = 'inet' | 'inet6';

/** Four decimal parts 0-255 without leading zeros (what inet_pton takes). */
const V4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

export interface Address {
  family: Family;
  /** 4 or 16 bytes. */
  bytes: number[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(reason: string): Result<T> => ({ ok: false, reason });

export const bitsOf = (f: Family): number => (f === 'inet' ? 32 : 128);

/** An IPv4 or IPv6 address (no prefix), checked against `family` when given. */
export function parseAddress(text: string, family?: Family): Result<Address> {
  let addr: Address;
  if (text.includes(':')) {
    if (text.includes('%')) return fail(`"${text}": zone indexes (%) are not part of an address ipset stores`);
    const bytes = parseIPv6(text);
    if (bytes === undefined) return fail(`"${text}" is not a valid IPv6 address`);
    addr = { family: 'inet6', bytes };
  } else if (V4.test(text)) {
    addr = { family: 'inet', bytes: text.split('.').map(Number) };
  } else if (/^[0-9.]+$/.test(text)) {
    if (/(^|\.)0[0-9]/.test(text)) {
      return fail(
        `"${text}" has a part with a leading zero, which ipset reads as octal (010 is 8): write it without leading zeros`,
      );
    }
    return fail(`"${text}" is not a valid IPv4 address (four decimal numbers 0-255)`);
  } else {
    return fail(`"${text}" is not an IP address (ipset would resolve a host name; dfw never does)`);
  }
  if (family !== undefined && addr.family !== family) {
    return fail(`"${text}" is an ${addr.family === 'inet' ? 'IPv4' : 'IPv6'} address, but the set is family ${family}`);
  }
  return ok(addr);
}

export function formatAddress(a: Address): string {
  return a.family === 'inet' ? a.bytes.join('.') : formatIPv6(a.bytes);
}

/** A prefix length `N` for the family: decimal, no leading zeros, within min..bits. */
export function parsePrefix(text: string, family: Family, min: number): Result<number> {
  const bits = bitsOf(family);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text) || Number(text) > bits || Number(text) < min) {
    return fail(`"/${text}" is not a prefix length for ${family} (${min}-${bits})`);
  }
  return ok(Number(text));
}

export function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => b & ((0xff << (8 - Math.max(0, Math.min(8, prefix - i * 8)))) & 0xff));
}

export function andBytes(bytes: readonly number[], mask: readonly number[]): number[] {
  return bytes.map((b, i) => b & (mask[i] ?? 0));
}

export const v4ToNumber = (b: readonly number[]): number =>
  (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
export const numberToV4 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const v4Text = (n: number): string => numberToV4(n).join('.');

/** The first and last IPv4 address of `a.b.c.d/len`. */
export function v4Block(n: number, prefix: number): { from: number; to: number } {
  const size = 2 ** (32 - prefix);
  const from = Math.floor(n / size) * size;
  return { from, to: from + size - 1 };
}

/**
 * The smallest list of CIDR blocks covering from..to, as ipset splits a `FROM-TO` range for
 * net types: `192.168.2.0-192.168.2.130` → /25, /31, /32 (docs/format.md#entries).
 */
export function v4Cover(from: number, to: number): { addr: number; prefix: number }[] {
  const out: { addr: number; prefix: number }[] = [];
  let cur = from;
  while (cur <= to) {
    let prefix = 32;
    // Grow the block while it stays aligned and inside the range.
    while (prefix > 0) {
      const size = 2 ** (32 - (prefix - 1));
      if (cur % size !== 0 || cur + size - 1 > to) break;
      prefix--;
    }
    out.push({ addr: cur, prefix });
    cur += 2 ** (32 - prefix);
  }
  return out;
}

/**
 * An IPv4 range as ipset takes it after an element's address: `A`, `A/N` or `A-B`.
 * `minPrefix` is the smallest prefix allowed (1 where ipset refuses `/0`).
 */
export function parseV4Range(text: string, minPrefix: number): Result<{ from: number; to: number; cidr?: number }> {
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const a = parseAddress(text.slice(0, dash), 'inet');
    if (!a.ok) return a;
    const b = parseAddress(text.slice(dash + 1), 'inet');
    if (!b.ok) return b;
    const from = v4ToNumber(a.value.bytes);
    const to = v4ToNumber(b.value.bytes);
    if (from > to) return fail(`range "${text}" is reversed: the first address must not be above the second`);
    return ok({ from, to });
  }
  const slash = text.indexOf('/');
  const a = parseAddress(slash < 0 ? text : text.slice(0, slash), 'inet');
  if (!a.ok) return a;
  const n = v4ToNumber(a.value.bytes);
  if (slash < 0) return ok({ from: n, to: n });
  const p = parsePrefix(text.slice(slash + 1), 'inet', minPrefix);
  if (!p.ok) return p;
  return ok({ ...v4Block(n, p.value), cidr: p.value });
}

/** `255.255.0.255` or an IPv6 mask for `bitmask` (any address: ipset applies it bit by bit). */
export function parseBitmask(text: string, family: Family): Result<number[]> {
  const a = parseAddress(text, family);
  if (!a.ok) return fail(`bitmask ${a.reason}`);
  return ok(a.value.bytes);
}

/** Numeric order of addresses, for printing sets in a stable, readable order. */
export function compareBytes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
