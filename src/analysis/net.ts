// Addresses and networks as the evaluator compares them: bytes, from src/net's parsers. A
// network is an address and a mask (iptables-save prints a non-contiguous mask in full,
// `-s 10.0.0.0/255.0.255.0`), so it is kept as mask bytes rather than a prefix length.
import { andBytes, formatAddress, maskBytes, parseIPv4, parseIPv6 } from '../net/address.js';
import { type Family, bitsOf } from '../net/family.js';

export interface Net {
  readonly family: Family;
  /** The network address, already masked. */
  readonly bytes: readonly number[];
  readonly mask: readonly number[];
}

/** inet_pton of either family; undefined when the text is not an address. */
export function parseAddr(text: string): { family: Family; bytes: number[] } | undefined {
  if (text.includes(':')) {
    const b = parseIPv6(text);
    return b === undefined ? undefined : { family: 6, bytes: b };
  }
  const b = parseIPv4(text);
  return b === undefined ? undefined : { family: 4, bytes: b };
}

export const addrText = (family: Family, bytes: readonly number[]): string =>
  formatAddress({ family, bytes: [...bytes] });

function prefixMask(family: Family, prefix: number): number[] {
  return maskBytes(new Array<number>(bitsOf(family) / 8).fill(0xff), prefix);
}

/** `ADDR`, `ADDR/LEN` or `ADDR/MASK`; undefined when it is none of them. */
export function parseNet(text: string): Net | undefined {
  const slash = text.indexOf('/');
  const a = parseAddr(slash < 0 ? text : text.slice(0, slash));
  if (a === undefined) return undefined;
  const bits = bitsOf(a.family);
  let mask: number[];
  if (slash < 0) mask = prefixMask(a.family, bits);
  else {
    const m = text.slice(slash + 1);
    if (/^\d{1,3}$/.test(m) && Number(m) <= bits) mask = prefixMask(a.family, Number(m));
    else {
      const dotted = parseAddr(m);
      if (dotted === undefined || dotted.family !== a.family) return undefined;
      mask = dotted.bytes;
    }
  }
  return { family: a.family, bytes: andBytes(a.bytes, mask), mask };
}

export function inNet(net: Net, bytes: readonly number[]): boolean {
  if (bytes.length !== net.bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (((bytes[i] ?? 0) & (net.mask[i] ?? 0)) !== net.bytes[i]) return false;
  return true;
}

/** The number of leading one bits of a mask (its prefix length when contiguous). */
export function maskLength(mask: readonly number[]): number {
  let n = 0;
  for (const b of mask) {
    if (b === 0xff) n += 8;
    else {
      for (let bit = 0x80; bit > 0 && (b & bit) !== 0; bit >>= 1) n++;
      break;
    }
  }
  return n;
}

export function isMulticast(family: Family, b: readonly number[]): boolean {
  return family === 4 ? ((b[0] ?? 0) & 0xf0) === 0xe0 : b[0] === 0xff;
}

export function isLoopback(family: Family, b: readonly number[]): boolean {
  return family === 4 ? b[0] === 127 : b.every((x, i) => x === (i === 15 ? 1 : 0));
}
