// Addresses as ipset reads them, with ipset's words in the messages (parsing and printing
// themselves are src/net's).
//
// ipset reads addresses with getaddrinfo(), so it also takes host names and inet_aton() forms
// (`010.0.0.1` is 8.0.0.1, observed). dfw never resolves names and refuses leading zeros rather
// than guess. IPv6 addresses print as glibc's inet_ntop() writes them (`::ffff:1.2.3.4`,
// `::1.2.3.4`, but `::2`; observed with ipset save).
import { type Address, parseIPv4, parseIPv6, v4ToNumber } from '../net/address.js';
import { v4Block } from '../net/cidr.js';
import { type Family, bitsOf, inetOf } from '../net/family.js';
import { type Result, fail, ok } from '../result.js';
import { quoted } from '../text/quote.js';

/** An IPv4 or IPv6 address (no prefix), checked against the set's `family` when given. */
export function parseAddress(text: string, family?: Family): Result<Address> {
  let addr: Address;
  if (text.includes(':')) {
    if (text.includes('%')) return fail(`${quoted(text)}: zone indexes (%) are not part of an address ipset stores`);
    const bytes = parseIPv6(text);
    if (bytes === undefined) return fail(`${quoted(text)} is not a valid IPv6 address`);
    addr = { family: 6, bytes };
  } else if (/^[0-9.]+$/.test(text)) {
    const bytes = parseIPv4(text);
    if (bytes === undefined && /(^|\.)0[0-9]/.test(text)) {
      return fail(
        `${quoted(text)} has a part with a leading zero, which ipset reads as octal (010 is 8): write it without leading zeros`,
      );
    }
    if (bytes === undefined) return fail(`${quoted(text)} is not a valid IPv4 address (four decimal numbers 0-255)`);
    addr = { family: 4, bytes };
  } else {
    return fail(`${quoted(text)} is not an IP address (ipset would resolve a host name; dfw never does)`);
  }
  if (family !== undefined && addr.family !== family) {
    return fail(`${quoted(text)} is an IPv${addr.family} address, but the set is family ${inetOf(family)}`);
  }
  return ok(addr);
}

/** A prefix length `N` for the family: decimal, no leading zeros, within min..bits. */
export function parsePrefix(text: string, family: Family, min: number): Result<number> {
  const bits = bitsOf(family);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text) || Number(text) > bits || Number(text) < min) {
    return fail(`"/${text}" is not a prefix length for ${inetOf(family)} (${min}-${bits})`);
  }
  return ok(Number(text));
}

/**
 * An IPv4 range as ipset takes it after an element's address: `A`, `A/N` or `A-B`.
 * `minPrefix` is the smallest prefix allowed (1 where ipset refuses `/0`).
 */
export function parseV4Range(text: string, minPrefix: number): Result<{ from: number; to: number; cidr?: number }> {
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const a = parseAddress(text.slice(0, dash), 4);
    if (!a.ok) return a;
    const b = parseAddress(text.slice(dash + 1), 4);
    if (!b.ok) return b;
    const from = v4ToNumber(a.value.bytes);
    const to = v4ToNumber(b.value.bytes);
    if (from > to) return fail(`range ${quoted(text)} is reversed: the first address must not be above the second`);
    return ok({ from, to });
  }
  const slash = text.indexOf('/');
  const a = parseAddress(slash < 0 ? text : text.slice(0, slash), 4);
  if (!a.ok) return a;
  const n = v4ToNumber(a.value.bytes);
  if (slash < 0) return ok({ from: n, to: n });
  const p = parsePrefix(text.slice(slash + 1), 4, minPrefix);
  if (!p.ok) return p;
  return ok({ ...v4Block(n, p.value), cidr: p.value });
}

/** `255.255.0.255` or an IPv6 mask for `bitmask` (any address: ipset applies it bit by bit). */
export function parseBitmask(text: string, family: Family): Result<number[]> {
  const a = parseAddress(text, family);
  if (!a.ok) return fail(`bitmask ${a.reason}`);
  return ok(a.value.bytes);
}
