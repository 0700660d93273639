// Every real dump prints back byte for byte, and every line has exactly one parse.
import { describe, expect, it } from 'vitest';
import { tokenize } from '../src/iptables/lexer.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables } from '../src/iptables/print.js';
import { parseShape } from '../src/iptables/shape.js';
import { iptablesFixtures } from './support/fixtures.js';

const fixtures = iptablesFixtures();

describe('iptables fixtures', () => {
  it('exist: v4 and v6, nft and legacy, with and without counters', () => {
    const names = fixtures.map(([n]) => n);
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const part of [
      '.nft.',
      '.legacy.',
      '.counters.',
      '.v4',
      '.v6',
      'docker29',
      'docker27',
      'kube-proxy',
      'extensions',
    ]) {
      expect(
        names.some((n) => n.includes(part)),
        part,
      ).toBe(true);
    }
  });

  it.each(fixtures)('%s: print(parse(text)) === text', (name, text) => {
    expect(printIptables(parseIptables(text, { file: name }))).toBe(text);
  });

  it.each(fixtures)('%s: every line yields exactly one parse (plain nearley, no cache)', (name, text) => {
    let lines = 0;
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      // parseShape throws on zero parses and on more than one.
      expect(() => parseShape(tokenize(line)), line).not.toThrow();
      lines++;
    }
    expect(lines).toBeGreaterThan(5);
  });

  it.each(fixtures)('%s: the cached parse gives the same AST as the plain one', (name, text) => {
    const cached = JSON.stringify(parseIptables(text, { file: name }));
    const plain = JSON.stringify(parseIptables(text, { file: name, cache: false }));
    expect(cached).toBe(plain);
  });
});
