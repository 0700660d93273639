// unifiedDiff leaves the lines both texts share at the start and at the end out of the diff
// package's work (src/diff.ts): its diffs must still be what the package gives on the whole
// texts, and always apply.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, createTwoFilesPatch } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../src/diff.js';
import { FIXTURES, caseDirs } from './support/fixtures.js';

/** The diff of the whole texts, as unifiedDiff made it before trimming. */
function whole(a: string, b: string): string {
  if (a === b) return '';
  const patch = createTwoFilesPatch('a', 'b', a, b, undefined, undefined, { context: 3 });
  return patch.slice(patch.indexOf('--- '));
}

describe('unifiedDiff', () => {
  it('equals the diff of the whole texts for every golden transform case (input against each output)', () => {
    const dir = join(FIXTURES, 'transform');
    let compared = 0;
    for (const c of caseDirs(dir)) {
      const files = readdirSync(join(dir, c));
      const input = readFileSync(
        join(
          dir,
          c,
          files.find((f) => f.startsWith('input.'))!,
        ),
        'utf8',
      );
      for (const o of files.filter((f) => f === 'full.out' || f === 'noflush.out')) {
        const out = readFileSync(join(dir, c, o), 'utf8');
        expect(unifiedDiff(input, out, 'a', 'b'), `${c}/${o}`).toBe(whole(input, out));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(10);
  });

  // Lines drawn from a few words, so that texts repeat lines (where alignments could differ).
  const text = fc
    .array(fc.constantFrom('a', 'b', 'c', 'COMMIT', '', '-A X -j DROP'), { maxLength: 40 })
    .map((ls) => ls.map((l) => `${l}\n`).join(''));
  const edit = fc
    .tuple(text, fc.array(fc.tuple(fc.nat(), fc.nat(6), text), { maxLength: 3 }), fc.boolean())
    .map(([base, edits, cutNewline]) => {
      let b = base;
      for (const [at, del, ins] of edits) {
        const lines = b.split(/(?<=\n)/);
        const i = lines.length === 0 ? 0 : at % (lines.length + 1);
        lines.splice(i, del, ins);
        b = lines.join('');
      }
      return [base, cutNewline && b.endsWith('\n') ? b.slice(0, -1) : b] as const;
    });

  it('applies: patching the old text with the diff gives the new one (3,000 random edits of repetitive texts)', () => {
    fc.assert(
      fc.property(edit, ([a, b]) => {
        const d = unifiedDiff(a, b, 'a', 'b');
        if (a === b) return d === '';
        return applyPatch(a, d) === b;
      }),
      { numRuns: 3000 },
    );
  });

  it('equals the diff of the whole texts when no line repeats (3,000 random edits)', () => {
    const unique = fc
      .uniqueArray(fc.integer({ min: 0, max: 999 }), { maxLength: 60 })
      .map((ns) => ns.map((n) => `line ${n}\n`).join(''));
    const pair = fc
      .tuple(unique, fc.nat(60), fc.nat(5), fc.uniqueArray(fc.integer({ min: 1000, max: 1999 }), { maxLength: 5 }))
      .map(([a, at, del, ins]) => {
        const lines = a.split(/(?<=\n)/).filter((l) => l !== '');
        lines.splice(at % (lines.length + 1), del, ...ins.map((n) => `line ${n}\n`));
        return [a, lines.join('')] as const;
      });
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(unifiedDiff(a, b, 'a', 'b')).toBe(whole(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it('numbers hunks in the whole file: a change on line 50,001 of 100,000', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `-A KUBE-SEP-${i} -j ACCEPT\n`);
    const a = lines.join('');
    lines[50_000] = '-A KUBE-SEP-50000 -j DROP\n';
    const d = unifiedDiff(a, lines.join(''), 'a', 'b');
    expect(d.split('\n')).toEqual([
      '--- a',
      '+++ b',
      '@@ -49998,7 +49998,7 @@',
      ' -A KUBE-SEP-49997 -j ACCEPT',
      ' -A KUBE-SEP-49998 -j ACCEPT',
      ' -A KUBE-SEP-49999 -j ACCEPT',
      '--A KUBE-SEP-50000 -j ACCEPT',
      '+-A KUBE-SEP-50000 -j DROP',
      ' -A KUBE-SEP-50001 -j ACCEPT',
      ' -A KUBE-SEP-50002 -j ACCEPT',
      ' -A KUBE-SEP-50003 -j ACCEPT',
      '',
    ]);
  });
});
