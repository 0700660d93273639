// Every ipset fixture (real `ipset save` output) parses, prints back byte for byte, and every
// line has exactly one parse (more would mean the grammar is ambiguous).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { looksLikeIpset, parseIpset, printIpset } from '../src/ipset/index.js';
import { countParses } from '../src/ipset/parse.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'ipset');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.ipset'))
  .sort();

describe('ipset fixtures', () => {
  it('exist, one per set type the kernel has', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
    const all = fixtures.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    for (const type of [
      'bitmap:ip',
      'bitmap:ip,mac',
      'bitmap:port',
      'hash:ip',
      'hash:ip,port',
      'hash:ip,port,ip',
      'hash:ip,port,net',
      'hash:net',
      'hash:net,port',
      'hash:net,iface',
      'list:set',
    ]) {
      expect(all, type).toContain(` ${type} `);
    }
  });

  for (const f of fixtures) {
    const text = readFileSync(join(dir, f), 'utf8');
    it(`${f} round-trips byte for byte`, () => {
      expect(printIpset(parseIpset(text, f))).toBe(text);
    });
    it(`${f}: every line has exactly one parse`, () => {
      for (const line of text.split('\n').filter((l) => l !== '')) expect(countParses(line), line).toBe(1);
    });
    it(`${f} is recognised as an ipset dump`, () => {
      if (text.trim() !== '') expect(looksLikeIpset(text)).toBe(true);
    });
  }
});

describe('restore-file forms round-trip', () => {
  const cases = [
    '',
    '\n',
    'create a hash:ip\n',
    'create a hash:ip',
    '# a comment\n\n   # indented comment\n\t\ncreate a hash:ip -exist\n',
    'create a hash:ip\r\nadd a 10.0.0.1\r\nCOMMIT\r\n',
    'n a iphash\na a 10.0.0.1\n-A a 10.0.0.2\ndel a 10.0.0.2\nte a 10.0.0.1\nflush a\nflush\nrename a b\nswap b c\nx b\ndestroy\n',
    '-exist add a 10.0.0.1\nadd -! a 10.0.0.1\nadd a 10.0.0.1 --exist\n',
    'create s hash:ip comment\nadd s 10.0.0.5 comment a"b c"d\nadd s 10.0.0.6 "comment" "x y"\n',
    'create a hash:ip --timeout 5 -4 --hashsize 0x400\n',
    '   create a hash:ip\n   COMMIT\n',
    'create l list:set timeout 0\nadd l a before b\nadd l c after a timeout 0\ndel l a before b\ntest l a\n',
  ];
  for (const c of cases) {
    it(JSON.stringify(c).slice(0, 70), () => {
      expect(printIpset(parseIpset(c, 'x'))).toBe(c);
      for (const line of c.split('\n')) {
        if (line.trim() !== '' && !line.trim().startsWith('#') && !line.trim().startsWith('COMMIT'))
          expect(countParses(line), line).toBe(1);
      }
    });
  }
});

describe('any text', () => {
  it('either round-trips byte for byte or fails with a positioned syntax error', async () => {
    const fc = await import('fast-check');
    const { DfwSyntaxError } = await import('../src/errors.js');
    const word = fc.constantFrom(
      'create',
      'add',
      'del',
      'test',
      'flush',
      'destroy',
      'swap',
      'rename',
      'n',
      '-A',
      'x',
      'COMMIT',
      '#',
      '-exist',
      '-!',
      's',
      't',
      'hash:ip',
      'hash:net',
      'hash:ip,port',
      'list:set',
      'bitmap:port',
      'range',
      '1-100',
      'family',
      'inet6',
      'timeout',
      '0',
      'comment',
      '"x y"',
      'a"b',
      '""',
      'counters',
      'nomatch',
      '10.0.0.1',
      '10.0.0.0/30',
      '2001:db8::1',
      '10.0.0.1,tcp:80',
      '80',
      'before',
      'packets',
      'skbmark',
      '0x1',
      'ü',
    );
    const sep = fc.constantFrom(' ', '  ', '\t', ' \r');
    const line = fc.tuple(fc.constantFrom('', ' ', '\t'), fc.array(fc.tuple(word, sep), { maxLength: 8 })).map(
      ([lead, ws]) =>
        lead +
        ws
          .map(([w, s]) => w + s)
          .join('')
          .trimEnd(),
    );
    const text = fc
      .tuple(fc.array(line, { maxLength: 6 }), fc.boolean())
      .map(([ls, nl]) => ls.join('\n') + (nl && ls.length > 0 ? '\n' : ''));
    fc.assert(
      fc.property(text, (t) => {
        try {
          return printIpset(parseIpset(t, 'f')) === t;
        } catch (e) {
          return e instanceof DfwSyntaxError && e.line >= 1 && e.column >= 1 && !e.reason.includes('\n');
        }
      }),
      { numRuns: 3000 },
    );
  });
});

// The fast path for `add SET ADDRESS` lines (src/ipset/parse.ts FastAdd) gives what the lexer
// and the grammar give: the same lines, or the same error at the same place.
describe('ipset fast path equals the plain path', () => {
  const outcome = (text: string, fast: boolean) => {
    try {
      return { lines: JSON.stringify(parseIpset(text, 'x.ipset', { fast }).lines) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };

  it.each(fixtures)('%s', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    expect(outcome(text, true)).toEqual(outcome(text, false));
  });

  const creates = [
    'create plain hash:ip family inet hashsize 1024 maxelem 65536',
    'create nets hash:net family inet hashsize 1024 maxelem 65536',
    'create masked hash:ip family inet netmask 24',
    'create six hash:net family inet6',
    'create timeout hash:ip family inet timeout 60',
    'create cmt hash:ip family inet comment',
    'create lst list:set',
  ];
  const setName = fc.constantFrom('plain', 'nets', 'masked', 'six', 'timeout', 'cmt', 'lst', 'missing', '-exist');
  const octet = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('256', '01', '') },
  );
  const element = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(octet, octet, octet, octet).map((p) => p.join('.')) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 33 }))
        .map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('2001:db8::1', 'plain', 'timeout', '10.0.0.1-10.0.0.3', '"10.0.0.1"', '-exist'),
    },
  );
  const tail = fc.constantFrom('', '', '', '', ' timeout 5', ' comment "x"', ' -exist', ' ', '\r', '\t', '  ');
  const addLine = fc
    .tuple(
      fc.constantFrom('add ', 'add ', 'add ', 'add  ', 'del ', '-exist add ', 'add\t'),
      setName,
      fc.constantFrom(' ', ' ', ' ', '  ', '\t'),
      element,
      tail,
    )
    .map((p) => p.join(''));

  it('on 2,000 random dumps of add lines (good and bad), the same lines or the same error', () => {
    let fastLines = 0;
    fc.assert(
      fc.property(fc.array(addLine, { minLength: 1, maxLength: 12 }), (adds) => {
        const text = `${[...creates, ...adds].join('\n')}\n`;
        const fast = outcome(text, true);
        expect(fast, text).toEqual(outcome(text, false));
        if ('lines' in fast) fastLines++;
      }),
      { numRuns: 2000 },
    );
    // Not only errors: a good share of the dumps parse.
    expect(fastLines).toBeGreaterThan(100);
  });
});
