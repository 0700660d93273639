// The source-space refinement behind `dfw exposure` (src/analysis/split.ts), on synthetic rule
// sets whose answer for every address is known: the pieces must give that answer for every
// address in them, first and last, and merge into the minimal CIDRs.
import { describe, expect, it } from 'vitest';
import {
  addressNumber,
  cidrCover,
  everyAddress,
  mergePieces,
  refine,
  spanOf,
  subtractSpans,
  type Span,
} from '../src/analysis/split.js';

/** A first-match rule list over source spans: the verdict of the first rule whose span holds the address. */
function ruleList(family: 4 | 6, rules: [string, string][], fallback: string) {
  const spans = rules.map(([cidr, verdict]) => ({ span: spanOf(cidr, family)!, verdict }));
  const answer = (a: bigint) => spans.find((r) => r.span.from <= a && a <= r.span.to)?.verdict ?? fallback;
  let probes = 0;
  const probe = (a: bigint) => {
    probes++;
    // As an evaluation does: the rules met are those up to and including the first match.
    const met: Span[] = [];
    for (const r of spans) {
      met.push(r.span);
      if (r.span.from <= a && a <= r.span.to) break;
    }
    return { answer: answer(a), spans: met };
  };
  return { answer, probe, probes: () => probes };
}

describe('refine', () => {
  it('IPv4: every piece has one answer, first address and last, and the pieces tile the space', () => {
    const rl = ruleList(
      4,
      [
        ['192.0.2.66/32', 'drop'],
        ['192.0.2.0/24', 'accept'],
        ['198.51.100.0/24', 'drop'],
        ['203.0.113.128/25', 'drop'],
        ['0.0.0.0/1', 'accept'],
      ],
      'drop',
    );
    const pieces = refine(everyAddress(4), rl.probe);
    let next = 0n;
    for (const p of pieces) {
      expect(p.span.from).toBe(next);
      expect(rl.answer(p.span.from)).toBe(p.answer);
      expect(rl.answer(p.span.to)).toBe(p.answer);
      next = p.span.to + 1n;
    }
    expect(next).toBe(everyAddress(4).to + 1n);
    expect(rl.probes()).toBeLessThan(40);
    const merged = mergePieces(pieces, (a) => a);
    const accepted = merged.filter((p) => p.answer === 'accept').flatMap((p) => cidrCover(p.span, 4));
    expect(accepted).toEqual([
      '0.0.0.0/1',
      '192.0.2.0/26',
      '192.0.2.64/31',
      '192.0.2.67/32',
      '192.0.2.68/30',
      '192.0.2.72/29',
      '192.0.2.80/28',
      '192.0.2.96/27',
      '192.0.2.128/25',
    ]);
  });

  it('IPv6: a /48 inside a /32 with another answer', () => {
    const rl = ruleList(
      6,
      [
        ['2001:db8:100::/48', 'accept'],
        ['2001:db8::/32', 'drop'],
      ],
      'accept',
    );
    const merged = mergePieces(refine(everyAddress(6), rl.probe), (a) => a);
    const drop = merged.filter((p) => p.answer === 'drop').flatMap((p) => cidrCover(p.span, 6));
    expect(drop).toEqual([
      '2001:db8::/40',
      '2001:db8:101::/48',
      '2001:db8:102::/47',
      '2001:db8:104::/46',
      '2001:db8:108::/45',
      '2001:db8:110::/44',
      '2001:db8:120::/43',
      '2001:db8:140::/42',
      '2001:db8:180::/41',
      '2001:db8:200::/39',
      '2001:db8:400::/38',
      '2001:db8:800::/37',
      '2001:db8:1000::/36',
      '2001:db8:2000::/35',
      '2001:db8:4000::/34',
      '2001:db8:8000::/33',
    ]);
  });

  it('stops past its bound instead of running on', () => {
    const rl = ruleList(
      4,
      Array.from({ length: 50 }, (_, i) => [`10.0.${i}.0/24`, 'drop'] as [string, string]),
      'accept',
    );
    expect(() => refine(everyAddress(4), rl.probe, 20)).toThrow(/more than 20 pieces/);
  });
});

describe('spans and CIDRs', () => {
  it('cidrCover gives the minimal blocks', () => {
    const s = { from: addressNumber('192.0.2.0', 4)!, to: addressNumber('192.0.2.130', 4)! };
    expect(cidrCover(s, 4)).toEqual(['192.0.2.0/25', '192.0.2.128/31', '192.0.2.130/32']);
    expect(cidrCover(everyAddress(6), 6)).toEqual(['::/0']);
  });

  it('spanOf reads addresses, prefixes (masked) and ranges; the other family is no span', () => {
    expect(spanOf('10.1.2.3/8', 4)).toEqual({
      from: addressNumber('10.0.0.0', 4),
      to: addressNumber('10.255.255.255', 4),
    });
    expect(spanOf('192.0.2.5-192.0.2.9', 4)).toEqual({
      from: addressNumber('192.0.2.5', 4),
      to: addressNumber('192.0.2.9', 4),
    });
    expect(spanOf('2001:db8::1', 4)).toBeUndefined();
    expect(spanOf('192.0.2.1/33', 4)).toBeUndefined();
  });

  it('subtractSpans', () => {
    const s = (a: string) => spanOf(a, 4)!;
    expect(subtractSpans([s('192.0.2.0/24')], [s('192.0.2.64/26')]).flatMap((x) => cidrCover(x, 4))).toEqual([
      '192.0.2.0/26',
      '192.0.2.128/25',
    ]);
  });
});
