// Networks: `ADDR/LEN` as iptables-save prints them, IPv4 blocks and covers of ranges.
//
// iptables-save prints a source or destination as `addr/len`, with `/32` (or `/128`) on host
// addresses, and the kernel stores the address already masked, so `-s 10.1.2.3/8` saves as
// `-s 10.0.0.0/8` (docs/format.md#addresses).

import { formatAddress, maskBytes, parseIPv4, parseIPv6 } from './address.js';
import { type Family, bitsOf } from './family.js';
import type { Result } from '../result.js';

export interface Cidr {
  family: Family;
  /** Canonical `addr/len`, as iptables-save prints it. */
  cidr: string;
  /** The prefix length (0 only when the caller allows it). */
  prefix: number;
}

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses `ADDR` or `ADDR/LEN` (IPv4 or IPv6) and returns it masked and in canonical form.
 * `/0` is returned as is (prefix 0): the caller decides whether "everyone" is acceptable.
 * Reasons are phrased to follow "expected ..., found X".
 */
export function parseCidr(text: string): Result<Cidr> {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const len = slash < 0 ? undefined : text.slice(slash + 1);

  let family: Family;
  let bytes: number[] | undefined;
  if (addr.includes(':')) {
    bytes = parseIPv6(addr);
    if (bytes === undefined) return { ok: false, reason: `"${addr}" is not a valid IPv6 address` };
    family = 6;
  } else if (/^[0-9.]+$/.test(addr)) {
    bytes = parseIPv4(addr);
    if (bytes === undefined) {
      return {
        ok: false,
        reason: `"${addr}" is not a valid IPv4 address (four decimal numbers 0-255, no leading zeros)`,
      };
    }
    family = 4;
  } else {
    return { ok: false, reason: `"${addr}" is not an IPv4 or IPv6 address (host names are not resolved)` };
  }

  const bits = bitsOf(family);
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
  const shown = formatAddress({ family, bytes: maskBytes(bytes, prefix) });
  return { ok: true, value: { family, cidr: `${shown}/${prefix}`, prefix } };
}

/** The first and last IPv4 address (as numbers) of the /`prefix` block holding `n`. */
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
