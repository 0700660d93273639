// The fast path (hand-written scans and the shape cache) gives exactly what the plain path
// gives: moo tokens and a fresh nearley parse per line.
import { describe, expect, it } from 'vitest';
import { tokenize, tokenizeFast } from '../src/iptables/lexer.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { newScan, scanKey, scanString } from '../src/iptables/scan.js';
import { shapeKey } from '../src/iptables/shape.js';
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
