// The common member, an IPv4 address or CIDR in a hash:ip or hash:net set, read without regexes,
// closures or arrays. A blocklist of 100k such members is read twice per `dfw ipset` run (the
// parser checks every entry, the reconcile stores it), and the general path (members.ts) took
// most of the run. Anything else, or anything odd, returns undefined and takes the general
// path, which words the errors; test/ipset-members checks that both give the same.
import type { SetHeader } from './header.js';
import { v4Text } from '../net/address.js';
import { type Result, ok } from '../result.js';

/**
 * text[from, to) as `a.b.c.d`, four decimal parts 0-255 without leading zeros (what inet_pton
 * takes, as src/net/address.ts's parseIPv4): the address as a number, or -1.
 */
function v4At(text: string, from: number, to: number): number {
  let n = 0;
  let i = from;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= to || text.charCodeAt(i) !== 46 /* . */) return -1;
      i++;
    }
    const start = i;
    let v = 0;
    while (i < to && i - start < 3) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    if (i === start || v > 255 || (i - start > 1 && text.charCodeAt(start) === 48)) return -1;
    n = n * 256 + v;
  }
  return i === to ? n : -1;
}

/** The element(s) ipset stores for `entry`, when it is the common case; undefined otherwise. */
export function fastV4Element(h: SetHeader, entry: string): Result<string[]> | undefined {
  if (h.family !== 4) return undefined;
  if (h.type === 'hash:ip') {
    // A netmask or bitmask masks the stored address: the general path does that.
    if (h.netmask !== undefined || h.bitmaskBytes !== undefined) return undefined;
    return v4At(entry, 0, entry.length) >= 0 ? ok([entry]) : undefined;
  }
  if (h.type !== 'hash:net') return undefined;
  const slash = entry.indexOf('/');
  if (slash < 0) return v4At(entry, 0, entry.length) >= 0 ? ok([entry]) : undefined;
  const address = v4At(entry, 0, slash);
  if (address < 0) return undefined;
  // The prefix: 1-32, decimal, no leading zero.
  const digits = entry.length - slash - 1;
  if (digits < 1 || digits > 2 || entry.charCodeAt(slash + 1) === 48) return undefined;
  let prefix = 0;
  for (let i = slash + 1; i < entry.length; i++) {
    const c = entry.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    prefix = prefix * 10 + (c - 48);
  }
  if (prefix < 1 || prefix > 32) return undefined;
  // Stored masked, printed without /32.
  const size = 2 ** (32 - prefix);
  const net = v4Text(address - (address % size));
  return ok([prefix === 32 ? net : `${net}/${prefix}`]);
}
