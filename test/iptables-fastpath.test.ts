// The fast path (hand-written scans and the shape cache) gives exactly what the plain path
// gives: moo tokens and a fresh nearley parse per line.
import { describe, expect, it } from 'vitest';
import { tokenize, tokenizeFast } from '../src/iptables/lexer.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { newScan, scanKey, scanString } from '../src/iptables/scan.js';
import type { Table } from '../src/iptables/ast.js';
import { sharedCache } from '../src/iptables/parsed.js';
import { MAX_SHAPES, ShapeCache, parseShape, shapeKey } from '../src/iptables/shape.js';
import { iptablesFixtures } from './support/fixtures.js';

const fixtures = iptablesFixtures();

// Lines that stress the word rules: quotes mid-word, escapes, tabs, double spaces, prefixes.
const tricky = [
  '-A INPUT -m comment --comment "a b" -j ACCEPT',
  '-A INPUT -m comment --comment ab"c d"ef -j ACCEPT',
  '-A INPUT -m comment --comment "x\\"y\\\\" -j ACCEPT',
  '-A INPUT -m comment --comment "abc"def -j ACCEPT',
  '-A INPUT  -s 1.2.3.4/32   -j ACCEPT',
  '-A INPUT\t-s 1.2.3.4/32\t-j ACCEPT',
  '[1:2]-A INPUT -j ACCEPT',
  '[1:2] -A INPUT -j ACCEPT ',
  '-A INPUT -m comment --comment --looks-like-option -j ACCEPT',
  '-A INPUT -m comment --comment ! -j ACCEPT',
  '-A INPUT ! -s 1.2.3.4/32 -p tcp -m tcp ! --dport 22 -j DROP',
  '--append INPUT --jump ACCEPT',
  '-I INPUT 2 -j DROP',
  '-A INPUT -m comment --comment "" -j ACCEPT',
  '-A INPUT - -- --x !x -j ACCEPT',
];

function allLines(): string[] {
  const lines = new Set<string>(tricky);
  for (const [, text] of fixtures) for (const l of text.split('\n')) if (l !== '' && !l.startsWith('#')) lines.add(l);
  return [...lines];
}

describe('fast path equals the plain path', () => {
  const lines = allLines();

  it('tokenizeFast gives the tokens of the moo lexer on every fixture line', () => {
    expect(lines.length).toBeGreaterThan(500);
    for (const l of lines) expect(tokenizeFast(l), l).toEqual(tokenize(l));
  });

  it('the scan gives the shape key of the tokens wherever it accepts a line', () => {
    const s = newScan();
    let accepted = 0;
    for (const l of lines) {
      if (!scanString(l, s)) continue;
      accepted++;
      expect(scanKey(s), l).toBe(shapeKey(tokenize(l)));
    }
    expect(accepted).toBeGreaterThan(lines.length / 2);
  });

  it.each(fixtures)('%s: same AST (as JSON) and same output with and without the cache', (name, text) => {
    const fast = parseIptables(text, { file: name });
    const plain = parseIptables(text, { file: name, cache: false });
    expect(JSON.stringify(fast)).toBe(JSON.stringify(plain));
    expect(printIptables(fast)).toBe(printIptables(plain));
  });

  it('a chain named like a counters prefix (`[1:2]X`: strtok reads it as the name) parses the same both ways', () => {
    // Found by the fuzz in hostile-fuzz.test.ts: the lexer took `[1:2]` as counters.
    const text = '*filter\n:INPUT ACCEPT [0:0]\n:[1:2]X - [0:0]\n-A INPUT -j [1:2]X\nCOMMIT\n';
    const fast = parseIptables(text);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(parseIptables(text, { cache: false })));
    const t = fast.items[0];
    expect(t?.kind === 'table' && t.body[1]).toMatchObject({ kind: 'chain', name: '[1:2]X', policy: '-' });
  });

  it('a generated dump in the bench style parses the same both ways', () => {
    const rules: string[] = ['*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-SVC-ABC - [0:0]', ':KUBE-SEP-1 - [0:0]'];
    for (let i = 0; i < 300; i++) {
      rules.push(
        `[${i}:${i * 60}] -A KUBE-SVC-ABC -m comment --comment "ns/svc-${i}:http" -m statistic --mode random --probability 0.${String(i).padStart(11, '0')} -j KUBE-SEP-1`,
      );
      rules.push(
        `-A KUBE-SEP-1 -p tcp -m comment --comment "ns/svc-${i}:http" -m tcp -j DNAT --to-destination 198.51.100.${i % 250}:8080`,
      );
    }
    rules.push('COMMIT', '');
    const text = rules.join('\n');
    expect(JSON.stringify(parseIptables(text))).toBe(JSON.stringify(parseIptables(text, { cache: false })));
  });

  // The in-place check of a user chain's line (plainUserDecl) and everything it hands on.
  const declLines: [string, string][] = [
    ['plain', ':KUBE-SEP-4UC34Y4RNLVVWIFY - [0:0]'],
    ['28 bytes, the most', `:${'C'.repeat(28)} - [0:0]`],
    ['29 bytes', `:${'C'.repeat(29)} - [0:0]`],
    ['non-ASCII, 28 bytes in 14 characters', `:${'é'.repeat(14)} - [0:0]`],
    ['non-ASCII, 30 bytes in 10 characters', `:${'€'.repeat(10)} - [0:0]`],
    ['name starting with -', ':-X - [0:0]'],
    ['name starting with !', ':!X - [0:0]'],
    ['built-in chain, policy -', ':INPUT - [0:0]'],
    ['built-in chain, policy DROP', ':FORWARD DROP [1:2]'],
    ['user chain, policy ACCEPT', ':MINE ACCEPT [0:0]'],
    ['big counters', ':MINE - [18446744073709551615:18446744073709551615]'],
    ['counters without packets', ':MINE - [:0]'],
    ['counters without bytes', ':MINE - [0:]'],
    ['counters not closed', ':MINE - [0:0'],
    ['something after the counters', ':MINE - [0:0] x'],
    ['two spaces', ':MINE  - [0:0]'],
    ['no counters', ':MINE -'],
    ['empty name', ': - [0:0]'],
  ];

  it.each(declLines)('a chain line, %s: same result both ways (node or error)', (_, line) => {
    const text = `*filter\n:INPUT ACCEPT [0:0]\n${line}\n-A INPUT -j ACCEPT\nCOMMIT\n`;
    const outcome = (cache: boolean) => {
      try {
        const dump = parseIptables(text, { cache });
        return { ok: JSON.stringify(dump), out: printIptables(dump) };
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
    expect(outcome(true)).toEqual(outcome(false));
  });
});

describe('the shape cache is bounded', () => {
  /** Rule line `i`: one option per bit of i, with one value for a 0 bit and two for a 1, so each i has its own shape. */
  const distinctRule = (i: number, bits: number): string => {
    let line = `-A INPUT -m mark`;
    for (let b = 0; b < bits; b++) line += (i >> b) & 1 ? ` --x${b} a b` : ` --x${b} a`;
    return `${line} -j ACCEPT`;
  };

  it('a stream of more distinct shapes than MAX_SHAPES never grows the shared cache past it, and parses the same', () => {
    const count = MAX_SHAPES + 300;
    const bits = Math.ceil(Math.log2(count));
    const body = Array.from({ length: count }, (_, i) => distinctRule(i, bits));
    // The usual shapes between them: they must still be found (or found again) after each clear.
    for (let i = 0; i < count; i += 100) body.splice(i, 0, '-A INPUT -s 192.0.2.1/32 -j ACCEPT');
    const text = `*filter\n:INPUT ACCEPT [0:0]\n${body.join('\n')}\nCOMMIT\n`;
    let largest = 0;
    // Parse in pieces, looking at the size between them (the limit must hold all along).
    for (let from = 0; from < body.length; from += 200) {
      const piece = `*filter\n:INPUT ACCEPT [0:0]\n${body.slice(from, from + 200).join('\n')}\nCOMMIT\n`;
      const dump = parseIptables(piece);
      for (const s of (dump.items[0] as Table).body) if (s.kind === 'rule') void s.spec;
      largest = Math.max(largest, sharedCache.size);
    }
    expect(largest).toBeLessThanOrEqual(MAX_SHAPES);
    expect(largest).toBeGreaterThan(MAX_SHAPES / 2); // the stream did fill it
    const fast = parseIptables(text);
    expect(sharedCache.size).toBeLessThanOrEqual(MAX_SHAPES);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(parseIptables(text, { cache: false })));
    expect(printIptables(fast)).toBe(text);
    // A fixture parsed after the stream still takes the same result both ways.
    const [name, fixture] = fixtures[0]!;
    expect(JSON.stringify(parseIptables(fixture, { file: name }))).toBe(
      JSON.stringify(parseIptables(fixture, { file: name, cache: false })),
    );
  });

  it('a cache with small limits keeps to both (shapes and tokens) and gives the grammar parse of every line', () => {
    const cache = new ShapeCache(50, 2000);
    let tokens = 0;
    for (let i = 0; i < 400; i++) {
      // Ever longer lines too: the token budget must bind before the shape count does.
      const line = distinctRule(i, 6 + (i % 40));
      const toks = tokenize(line);
      expect(cache.get(toks)).toEqual(parseShape(toks));
      expect(cache.size).toBeLessThanOrEqual(50);
      tokens = Math.max(tokens, cache.keptTokens);
      expect(cache.keptTokens).toBeLessThanOrEqual(2000);
    }
    expect(tokens).toBeGreaterThan(1000);
    // A line whose key alone passes the token budget is parsed but not kept.
    const long = tokenize(distinctRule(0, 1200));
    expect(cache.get(long)).toEqual(parseShape(long));
    expect(cache.peek(shapeKey(long))).toBeUndefined();
  });
});
