// Who can open a new connection to one published port from one interface: the source space
// refined with the evaluator until every piece has one answer (split.ts), then told as CIDRs,
// named sets and the parts whose answer is unknown with the rules it depends on.
import type { Family } from '../net/family.js';
import {
  cidrCover,
  everyAddress,
  mergePieces,
  mergeSpans,
  refine,
  spanInside,
  spanOf,
  subtractSpans,
  type Piece,
  type Span,
} from './split.js';
import type { Evaluation, Step, Verdict } from './types.js';

/** A rule the answer depends on, as the report names it. */
export interface RuleRef {
  readonly table: string;
  readonly chain: string;
  readonly rule: number;
  readonly line?: number;
  readonly text: string;
  readonly why: string;
}

/** Sources whose answer is unknown, and why. */
export interface UnknownPart {
  readonly from: readonly string[];
  /** Every source that may not connect is in this part: only those in `from` of the reach may, the rest is unknown. */
  readonly rest?: true;
  readonly dependsOn: readonly RuleRef[];
}

/** A set whose every member may connect, named in place of its members. */
export interface SetReach {
  readonly name: string;
  readonly members: readonly string[];
}

/**
 * The reach of a port from one interface. `anyone`: every source may open a connection;
 * `nobody`: none may; `some`: exactly `from` and the members of `sets`; `unknown`: `unknown`
 * lists the sources whose answer could not be decided offline (`from`/`sets` still hold those
 * that may).
 */
export interface Reach {
  readonly kind: 'anyone' | 'nobody' | 'some' | 'unknown';
  /** Every source that may connect, as minimal CIDRs (`0.0.0.0/0` for anyone). */
  readonly sources: readonly string[];
  /** For `some`: the sources that may NOT connect, when that list is the shorter one (`anyone except …`). */
  readonly except?: readonly string[];
  /** `sources` without the CIDRs that lie inside the members of `sets`. */
  readonly from: readonly string[];
  readonly sets: readonly SetReach[];
  readonly unknown: readonly UnknownPart[];
}

/** What one representative source got. */
export interface Answer {
  readonly verdict: Verdict;
  readonly dependsOn: readonly RuleRef[];
}

export const refOf = (s: Step): RuleRef => ({
  table: s.table,
  chain: s.chain,
  rule: s.rule,
  ...(s.line === undefined ? {} : { line: s.line }),
  text: s.text,
  why: s.why,
});

const refKey = (r: RuleRef): string => `${r.table}/${r.chain}/${r.rule}`;
export const answerKey = (a: Answer): string =>
  a.verdict === 'unknown' ? `unknown ${a.dependsOn.map(refKey).join(' ')}` : a.verdict;

/** What the rules met by one evaluation cut: the caller reads them (exposure.ts). */
export type Cutter = (e: Evaluation) => readonly Span[];

/** Every piece of the source space with its answer, adjacent equal answers merged. */
export function sourcePieces(family: Family, evaluate: (src: bigint) => Evaluation, cutter: Cutter): Piece<Answer>[] {
  const pieces = refine(everyAddress(family), (addr) => {
    const e = evaluate(addr);
    return { answer: { verdict: e.verdict, dependsOn: e.dependsOn.map(refOf) }, spans: cutter(e) };
  });
  return mergePieces(pieces, answerKey);
}

/** The reach the pieces tell; `sets`: members of the sets the rules met matched on the source. */
export function reachOf(
  family: Family,
  pieces: readonly Piece<Answer>[],
  sets: ReadonlyMap<string, SetMembers>,
): Reach {
  const whole = everyAddress(family);
  const allowed = mergeSpans(pieces.filter((p) => p.answer.verdict === 'accept').map((p) => p.span));
  const unknowns = new Map<string, { spans: Span[]; dependsOn: readonly RuleRef[] }>();
  for (const p of pieces) {
    if (p.answer.verdict !== 'unknown') continue;
    const k = answerKey(p.answer);
    const u = unknowns.get(k) ?? { spans: [], dependsOn: p.answer.dependsOn };
    u.spans.push(p.span);
    unknowns.set(k, u);
  }
  const unknown = [...unknowns.values()].map((u) => {
    const spans = mergeSpans(u.spans);
    const rest = subtractSpans([whole], mergeSpans([...allowed, ...spans])).length === 0 && allowed.length > 0;
    return {
      from: spans.flatMap((s) => cidrCover(s, family)),
      ...(rest ? { rest: true as const } : {}),
      dependsOn: u.dependsOn,
    };
  });
  const everyone = allowed.length === 1 && allowed[0]!.from === whole.from && allowed[0]!.to === whole.to;
  const kind = unknown.length > 0 ? 'unknown' : everyone ? 'anyone' : allowed.length === 0 ? 'nobody' : 'some';
  const sources = allowed.flatMap((s) => cidrCover(s, family));
  if (kind === 'anyone') return { kind, sources, from: sources, sets: [], unknown: [] };
  // A set is named when all its members may connect; CIDRs inside its members are then left out.
  const named = [...sets].filter(([, m]) => m.spans.length > 0 && m.spans.every((s) => spanInside(s, allowed)));
  const covered = mergeSpans(named.flatMap(([, m]) => m.spans));
  const from = sources.filter((c) => !cidrInside(c, covered, family));
  const denied = kind === 'some' ? subtractSpans([whole], allowed).flatMap((s) => cidrCover(s, family)) : [];
  return {
    kind,
    sources,
    ...(kind === 'some' && denied.length < from.length + named.length ? { except: denied } : {}),
    from,
    sets: named.map(([name, m]) => ({ name, members: m.members })),
    unknown,
  };
}

/** A set's members: as the dump prints them, and as spans. */
export interface SetMembers {
  readonly members: readonly string[];
  readonly spans: readonly Span[];
}

function cidrInside(cidr: string, covered: readonly Span[], family: Family): boolean {
  const span = spanOf(cidr, family);
  return span !== undefined && spanInside(span, covered);
}
