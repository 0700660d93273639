// Address intervals: the meaning of a set's elements, whatever way they are written. A policy
// entry (`192.0.2.7`, `192.0.2.0/24`, `192.0.2.1-192.0.2.9`) and an element nft lists back
// (a string, `{prefix}` or `{range}`) become [lo, hi] pairs, merged, then written in one
// canonical form, so that two spellings of the same set compare equal.
import { formatAddress, parseIPv6 } from '../net/address.js';
import { parseCidr } from '../net/cidr.js';
import { type Family, bitsOf } from '../net/family.js';
import type { NftJson } from './model.js';

export interface Interval {
  lo: bigint;
  hi: bigint;
}

function toBig(bytes: readonly number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fromBig(v: bigint, family: Family): string {
  const bytes: number[] = [];
  for (let i = bitsOf(family) / 8 - 1; i >= 0; i--) bytes.push(Number((v >> BigInt(i * 8)) & 0xffn));
  return formatAddress({ family, bytes });
}

/** One address of `family`, or a reason. */
function address(text: string, family: Family): bigint | string {
  if (text.includes('/')) return `"${text}" is not an address`;
  const r = parseCidr(text);
  if (!r.ok) return r.reason;
  if (r.value.family !== family) return `"${text}" is an IPv${r.value.family} address in an IPv${family} set`;
  const addr = r.value.cidr.slice(0, r.value.cidr.indexOf('/'));
  return family === 4 ? toBig(addr.split('.').map(Number)) : toBig(parseIPv6(addr)!);
}

/** `ADDR`, `ADDR/LEN` or `ADDR-ADDR` (as ipset takes them) as an interval, or a reason. */
export function entryInterval(text: string, family: Family): Interval | string {
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const lo = address(text.slice(0, dash), family);
    const hi = address(text.slice(dash + 1), family);
    if (typeof lo === 'string') return lo;
    if (typeof hi === 'string') return hi;
    if (hi < lo) return `"${text}": the range ends before it starts`;
    return { lo, hi };
  }
  const r = parseCidr(text);
  if (!r.ok) return r.reason;
  if (r.value.family !== family) return `"${text}" is an IPv${r.value.family} address in an IPv${family} set`;
  const slash = r.value.cidr.indexOf('/');
  const lo = address(r.value.cidr.slice(0, slash), family) as bigint;
  const span = (1n << BigInt(bitsOf(family) - r.value.prefix)) - 1n;
  return { lo, hi: lo + span };
}

/** An element as nft lists it (a string, `{prefix}`, `{range}`), or undefined for any other form. */
export function jsonInterval(e: NftJson, family: Family): Interval | undefined {
  let text: string | undefined;
  if (typeof e === 'string') text = e;
  else if (e !== null && typeof e === 'object' && !Array.isArray(e)) {
    const p = e.prefix;
    const r = e.range;
    if (
      p !== null &&
      typeof p === 'object' &&
      !Array.isArray(p) &&
      typeof p.addr === 'string' &&
      typeof p.len === 'number'
    )
      text = `${p.addr}/${p.len}`;
    else if (Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && typeof r[1] === 'string')
      text = `${r[0]}-${r[1]}`;
  }
  if (text === undefined) return undefined;
  const i = entryInterval(text, family);
  return typeof i === 'string' ? undefined : i;
}

/** Sorted, with overlapping and adjacent intervals joined. */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.lo <= last.hi + 1n) {
      if (i.hi > last.hi) last.hi = i.hi;
    } else out.push({ ...i });
  }
  return out;
}

/** Sorted, each once: the elements of a set without the interval flag (single addresses). */
export function uniqueAddresses(list: readonly Interval[]): Interval[] {
  const seen = new Set<bigint>();
  return [...list]
    .filter((i) => (seen.has(i.lo) ? false : (seen.add(i.lo), true)))
    .sort((a, b) => (a.lo < b.lo ? -1 : 1));
}

/** An interval in nft's JSON form: the address, a prefix when it is one aligned block, else a range. */
export function intervalJson(i: Interval, family: Family): NftJson {
  if (i.lo === i.hi) return fromBig(i.lo, family);
  const size = i.hi - i.lo + 1n;
  const bits = size.toString(2).length - 1;
  if (size === 1n << BigInt(bits) && (i.lo & (size - 1n)) === 0n)
    return { prefix: { addr: fromBig(i.lo, family), len: bitsOf(family) - bits } };
  return { range: [fromBig(i.lo, family), fromBig(i.hi, family)] };
}
