// The ipset parser's shape cache (src/ipset/parse.ts) keeps to its limit under a stream of
// lines that each have a shape of their own, and parsing stays right while it clears.
import { describe, expect, it } from 'vitest';
import { parseIpset, printIpset } from '../src/ipset/index.js';
import { SHAPE_CACHE_MAX, shapeCacheSize } from '../src/ipset/parse.js';

const KEYWORDS = ['timeout', 'packets', 'bytes', 'comment', 'nomatch', 'skbmark', 'before', 'after'];

/** `add s 192.0.2.1` then the digits of i in base 8 as keywords: one token-class sequence per i. */
function distinctLine(i: number): string {
  const words = ['add', 's', '192.0.2.1'];
  for (let n = i + 1; n > 0; n = Math.floor(n / KEYWORDS.length)) words.push(KEYWORDS[n % KEYWORDS.length]!);
  return words.join(' ');
}

describe('the ipset shape cache is bounded', () => {
  it('more distinct shapes than SHAPE_CACHE_MAX never grow it past the limit, and a dump parses the same after', () => {
    const count = SHAPE_CACHE_MAX + 500;
    const keys = new Set<string>();
    let largest = 0;
    for (let i = 0; i < count; i++) {
      const line = distinctLine(i);
      keys.add(line.split(' ').slice(3).join(' '));
      try {
        parseIpset(`${line}\n`, `line-${i}`); // most of these are refused; their outcome is cached all the same
      } catch {
        // a DfwSyntaxError: the shape was still looked up
      }
      largest = Math.max(largest, shapeCacheSize());
    }
    expect(keys.size).toBe(count);
    expect(largest).toBeLessThanOrEqual(SHAPE_CACHE_MAX);
    expect(largest).toBeGreaterThan(SHAPE_CACHE_MAX / 2);
    const dump =
      'create s hash:ip family inet hashsize 1024 maxelem 65536 timeout 0 comment\n' +
      'add s 192.0.2.1 timeout 0 comment "a b"\nadd s 192.0.2.2 timeout 10\n';
    expect(printIpset(parseIpset(dump, 'dump'))).toBe(dump);
    expect(shapeCacheSize()).toBeLessThanOrEqual(SHAPE_CACHE_MAX);
  });
});
