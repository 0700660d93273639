// Two exposures side by side: before and after a policy, or dump A and dump B. Ports are paired by
// what a client connects to (protocol, host address, host port); a port whose reach grew is
// what the review gate (`dfw exposure A B`, exit 1) stops on (docs/design.md#how-exposure-computes-sources).
import { OTHER_INTERFACES, rangeText, type Exposure, type PortExposure } from './exposure-compute.js';
import type { Reach } from './exposure-reach.js';
import { mergeSpans, spanInside, spanOf, type Span } from './split.js';
import type { Family } from '../net/family.js';

/** One port and interface, with its reach on each side (undefined: the port is not published there). */
export interface ReachPair {
  /** `tcp 8080 -> 172.17.0.2:80`, as the reports print it. */
  readonly port: string;
  readonly interface: string;
  readonly before?: Reach;
  readonly after?: Reach;
  /** The reach differs. */
  readonly changed: boolean;
  /** More sources may connect after than before (or may, where the answer is unknown). */
  readonly more: boolean;
}

/** `tcp 8080`, `tcp 127.0.0.1:5432`, `tcp [::1]:5432`, `direct tcp 172.17.0.2:80`. */
export function portLabel(p: PortExposure, family: Family): string {
  const ports = rangeText(p.ports);
  const host = p.hostAddress?.replace(family === 4 ? /\/32$/ : /\/128$/, '');
  const where = host === undefined ? ports : family === 6 ? `[${host}]:${ports}` : `${host}:${ports}`;
  return p.kind === 'direct' ? `direct ${p.proto} ${where}` : `${p.proto} ${where} -> ${p.to.join(' | ')}`;
}

const pairKey = (p: PortExposure): string => `${p.kind} ${p.proto} ${p.hostAddress ?? '*'} ${rangeText(p.ports)}`;

function spansOf(cidrs: readonly string[], family: Family): Span[] {
  return mergeSpans(cidrs.flatMap((c) => spanOf(c, family) ?? []));
}

const inside = (a: readonly Span[], b: readonly Span[]): boolean => a.every((s) => spanInside(s, b));

/** Whether `after` lets a source connect (or maybe connect) that `before` did not. */
export function grew(before: Reach | undefined, after: Reach | undefined, family: Family): boolean {
  if (after === undefined) return false;
  const may = spansOf(after.sources, family);
  const maybe = spansOf(
    after.unknown.flatMap((u) => u.from),
    family,
  );
  if (before === undefined) return may.length > 0 || maybe.length > 0;
  const had = spansOf(before.sources, family);
  const hadMaybe = mergeSpans([
    ...had,
    ...spansOf(
      before.unknown.flatMap((u) => u.from),
      family,
    ),
  ]);
  return !inside(may, had) || !inside(maybe, hadMaybe);
}

/** The reach of a port from an interface: the `*` class stands for every interface no rule named. */
function reachFrom(p: PortExposure | undefined, iface: string): Reach | undefined {
  if (p === undefined) return undefined;
  return (p.reach.find((r) => r.interface === iface) ?? p.reach.find((r) => r.interface === OTHER_INTERFACES))?.reach;
}

const sameReach = (a: Reach | undefined, b: Reach | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Every port of either side, from every interface class of either side, paired. */
export function compareExposure(before: Exposure, after: Exposure): ReachPair[] {
  const family = after.family;
  const a = new Map(before.ports.map((p) => [pairKey(p), p]));
  const b = new Map(after.ports.map((p) => [pairKey(p), p]));
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const ifaces = [...new Set([...before.interfaces, ...after.interfaces])].sort((x, y) =>
    x === OTHER_INTERFACES ? 1 : y === OTHER_INTERFACES ? -1 : x.localeCompare(y),
  );
  const out: ReachPair[] = [];
  for (const k of keys) {
    const pa = a.get(k);
    const pb = b.get(k);
    const label = portLabel((pb ?? pa)!, family);
    for (const i of ifaces) {
      const ra = reachFrom(pa, i);
      const rb = reachFrom(pb, i);
      const changed = !sameReach(ra, rb);
      out.push({
        port: label,
        interface: i,
        ...(ra === undefined ? {} : { before: ra }),
        ...(rb === undefined ? {} : { after: rb }),
        changed,
        more: changed && grew(ra, rb, family),
      });
    }
  }
  return out;
}
