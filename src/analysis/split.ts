// The source address space cut into pieces that every rule treats alike (docs/design.md#how-exposure-computes-sources).
// A piece is a span of addresses; the space is refined at the edges of the prefixes and ranges
// that the rules met by one representative mention, until no rule met by a piece's
// representative tells two addresses of the piece apart. Then one evaluation per piece is the
// answer for every address in it, and adjacent pieces with the same answer merge into CIDRs.
import { formatAddress, parseIPv6 } from '../net/address.js';
import { bitsOf, type Family } from '../net/family.js';

/** Addresses from..to, both included, as numbers (IPv6 needs 128 bits: bigint). */
export interface Span {
  readonly from: bigint;
  readonly to: bigint;
}

/** The last address of a family's space. */
export const lastAddress = (family: Family): bigint => (1n << BigInt(bitsOf(family))) - 1n;

/** The whole address space of a family. */
export const everyAddress = (family: Family): Span => ({ from: 0n, to: lastAddress(family) });

/** `a.b.c.d` read by hand (inet_pton's rules: four decimals 0-255, no leading zero): ipaddr.js is slow for millions. */
function v4Number(text: string): bigint | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // a leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return BigInt(n * 256 + part);
}

/** An address as a number, or undefined when the text is not one of the family. */
export function addressNumber(text: string, family: Family): bigint | undefined {
  if (family === 4) return v4Number(text);
  const bytes = parseIPv6(text);
  if (bytes === undefined) return undefined;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

export function addressText(n: bigint, family: Family): string {
  const count = bitsOf(family) / 8;
  const bytes: number[] = [];
  for (let i = count - 1; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return formatAddress({ family, bytes });
}

/**
 * `ADDR`, `ADDR/LEN` or `FROM-TO` as a span, or undefined when it is none of these in the family
 * (an address of the other family: the rule cannot match it, and cuts nothing).
 */
export function spanOf(text: string, family: Family): Span | undefined {
  const dash = text.indexOf('-');
  if (dash > 0) {
    const from = addressNumber(text.slice(0, dash), family);
    const to = addressNumber(text.slice(dash + 1), family);
    return from === undefined || to === undefined || to < from ? undefined : { from, to };
  }
  const slash = text.indexOf('/');
  const addr = addressNumber(slash < 0 ? text : text.slice(0, slash), family);
  if (addr === undefined) return undefined;
  const bits = bitsOf(family);
  const len = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > bits) return undefined;
  const size = 1n << BigInt(bits - len);
  const from = (addr / size) * size;
  return { from, to: from + size - 1n };
}

/** The smallest list of CIDR blocks covering from..to. */
export function cidrCover(span: Span, family: Family): string[] {
  const bits = bitsOf(family);
  const out: string[] = [];
  let cur = span.from;
  while (cur <= span.to) {
    let len = bits;
    // Grow the block while it stays aligned and inside the span.
    while (len > 0) {
      const size = 1n << BigInt(bits - len + 1);
      if (cur % size !== 0n || cur + size - 1n > span.to) break;
      len--;
    }
    out.push(`${addressText(cur, family)}/${len}`);
    cur += 1n << BigInt(bits - len);
  }
  return out;
}

/** Sorts and joins spans that overlap or touch. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.from <= last.to + 1n) {
      if (s.to > last.to) out[out.length - 1] = { from: last.from, to: s.to };
    } else out.push(s);
  }
  return out;
}

/** Whether `inner` lies wholly inside the union of `outer` (merged, sorted). */
export function spanInside(inner: Span, outer: readonly Span[]): boolean {
  return outer.some((o) => o.from <= inner.from && inner.to <= o.to);
}

/** The parts of `a` (merged) not in `b` (merged). */
export function subtractSpans(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const s of a) {
    let cur: Span | undefined = s;
    for (const c of b) {
      if (cur === undefined) break;
      if (c.to < cur.from || c.from > cur.to) continue;
      if (c.from > cur.from) out.push({ from: cur.from, to: c.from - 1n });
      cur = c.to < cur.to ? { from: c.to + 1n, to: cur.to } : undefined;
    }
    if (cur !== undefined) out.push(cur);
  }
  return out;
}

/** One piece of the space with the answer its representative got. */
export interface Piece<A> {
  readonly span: Span;
  readonly answer: A;
}

/** What one evaluation of a representative gives: its answer, and the spans the rules it met mention. */
export interface Probe<A> {
  readonly answer: A;
  readonly spans: readonly Span[];
}

/** Evaluations allowed for one refinement: a bound on work, not a sample size. */
export const MAX_PIECES = 20_000;

/** The points inside `span` (after its first address) where one of `cuts` starts or ends. */
function cutPoints(span: Span, cuts: readonly Span[]): bigint[] {
  const points = new Set<bigint>();
  for (const c of cuts) {
    if (c.from > span.from && c.from <= span.to) points.add(c.from);
    if (c.to >= span.from && c.to < span.to) points.add(c.to + 1n);
  }
  return [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Refines `whole` until every piece is decided by its first address: `probe(a)` evaluates the
 * address `a` and names the spans of the rules it met. A piece whose representative met no rule
 * cutting it is final; otherwise it is cut there, and the new pieces are probed in turn (the
 * first keeps the answer: same representative, same path). Throws past MAX_PIECES probes.
 */
export function refine<A>(whole: Span, probe: (addr: bigint) => Probe<A>, max = MAX_PIECES): Piece<A>[] {
  const done: Piece<A>[] = [];
  const queue: Span[] = [whole];
  let probes = 0;
  while (queue.length > 0) {
    const span = queue.pop()!;
    if (++probes > max) throw new Error(`more than ${max} pieces of the source space`);
    const p = probe(span.from);
    const points = cutPoints(span, p.spans);
    if (points.length === 0) {
      done.push({ span, answer: p.answer });
      continue;
    }
    done.push({ span: { from: span.from, to: points[0]! - 1n }, answer: p.answer });
    points.forEach((at, i) => queue.push({ from: at, to: i + 1 < points.length ? points[i + 1]! - 1n : span.to }));
  }
  return done.sort((a, b) => (a.span.from < b.span.from ? -1 : 1));
}

/** Adjacent pieces with the same answer (by `key`) joined. */
export function mergePieces<A>(pieces: readonly Piece<A>[], key: (a: A) => string): Piece<A>[] {
  const out: Piece<A>[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last !== undefined && last.span.to + 1n === p.span.from && key(last.answer) === key(p.answer))
      out[out.length - 1] = { span: { from: last.span.from, to: p.span.to }, answer: last.answer };
    else out.push(p);
  }
  return out;
}
