// Bad input: exit 2, `FILE:LINE:COL: message`, the line and a caret, nothing on stdout.
import { describe, expect, it } from 'vitest';
import { DfwSyntaxError } from '../src/errors.js';
import { parseIptables } from '../src/iptables/parse.js';
import { dfw } from './support/cli.js';

const T = (body: string) => `*filter\n:INPUT ACCEPT [0:0]\n${body}\nCOMMIT\n`;

// [what, input, line, column, message pattern]
const cases: [string, string, number, number, RegExp][] = [
  ['unterminated quote', T('-A INPUT -m comment --comment "abc -j DROP'), 3, 31, /unterminated quote/],
  ['CRLF line end', '*filter\r\n:INPUT ACCEPT [0:0]\r\nCOMMIT\r\n', 1, 8, /carriage return/],
  ['COMMIT with trailing space', '*filter\nCOMMIT \n', 2, 7, /characters after COMMIT/],
  ['COMMIT followed by a word', '*filter\nCOMMIT now\n', 2, 8, /expected end of line, found `now`/],
  ['indented comment', T('   # note'), 3, 4, /indented comment/],
  ['line of blanks only', T(' \t '), 3, 1, /only blanks/],
  ['rule outside a table', '-A INPUT -j ACCEPT\n', 1, 1, /command outside a table/],
  ['unknown word outside a table', 'filter\n', 1, 1, /expected a \*table line or a # comment, found `filter`/],
  ['table never committed', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n', 1, 1, /never committed/],
  ['line over 10239 bytes', T(`-A INPUT -m comment --comment "${'x'.repeat(10300)}" -j ACCEPT`), 3, 1, /10239/],
  [
    '252 arguments',
    T(`-A INPUT ${'-m comment --comment x '.repeat(62)}-p tcp`),
    3,
    0,
    /252 arguments: iptables-restore accepts at most 251/,
  ],
  ['attached short option', T('-A INPUT -ptcp -j DROP'), 3, 10, /attached short option `-ptcp`/],
  ['attached jump', T('-A INPUT -jACCEPT'), 3, 10, /attached short option `-jACCEPT`/],
  ['infix negation', T('-A INPUT -s ! 1.2.3.4 -j DROP'), 3, 15, /infix negation .*write `! -s 1.2.3.4`/],
  ['unknown table', '*filtr\nCOMMIT\n', 1, 2, /unknown table `filtr`/],
  ['table inside a table', T('*nat'), 3, 1, /`\*nat` inside table filter: COMMIT expected/],
  ['COMMIT outside a table', 'COMMIT\n', 1, 1, /COMMIT outside a table/],
  ['chain line outside a table', ':INPUT ACCEPT [0:0]\n', 1, 1, /chain line outside a table/],
  ['bad built-in policy', '*filter\n:INPUT RETURN [0:0]\nCOMMIT\n', 2, 8, /bad policy `RETURN`/],
  [
    'user chain with a policy',
    '*filter\n:MINE ACCEPT [0:0]\nCOMMIT\n',
    2,
    7,
    /user chain MINE cannot have policy `ACCEPT`/,
  ],
  ['chain name over 28 characters', T(`-A ${'C'.repeat(29)} -j ACCEPT`), 3, 4, /29 characters: at most 28/],
  ['bad counters prefix', T('[a:b] -A INPUT -j ACCEPT'), 3, 1, /bad counters prefix/],
  ['-t inside a rule', T('-A INPUT -t nat -j ACCEPT'), 3, 10, /-t cannot be used/],
  ['two targets', T('-A INPUT -j ACCEPT -j DROP'), 3, 20, /a second -j\/-g/],
  ['-A without a chain', T('-A'), 3, 3, /expected a value, found end of line/],
  ['-m without a name', T('-A INPUT -m'), 3, 12, /expected a value, found end of line/],
  ['double negation', T('-A INPUT ! ! -s 1.2.3.4 -j DROP'), 3, 12, /expected an option, found `!`/],
  ['unknown command', T('-Q INPUT'), 3, 1, /expected a command .* found `-Q`/],
  ['a listing command', T('-S INPUT'), 3, 1, /`-S` prints rules on standard output and changes nothing/],
  ['word where an option belongs', T('-A INPUT 5 -j DROP'), 3, 10, /found `5`/],
  ['-j without a target', T('-A INPUT -j'), 3, 12, /expected a value, found end of line/],
  ['-P without a policy', T('-P INPUT'), 3, 9, /expected a value, found end of line/],
  ['trailing word on a table line', '*filter now\nCOMMIT\n', 1, 9, /found `now`/],
];

describe('bad iptables input', () => {
  it('has at least 25 cases', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each(cases)('%s: position and message', (_what, input, line, column, pattern) => {
    let err: unknown;
    try {
      parseIptables(input, { file: 'bad.v4' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DfwSyntaxError);
    const e = err as DfwSyntaxError;
    expect(e.reason).toMatch(pattern);
    expect(e.line).toBe(line);
    if (column > 0) expect(e.column).toBe(column);
    expect(e.message.startsWith(`bad.v4:${line}:${e.column}: `)).toBe(true);
  });

  it.each(cases)('%s: through the CLI, exit 2, caret under the column, empty stdout', (_what, input, line) => {
    const r = dfw(['fmt'], input);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const [first, src, caret] = r.stderr.split('\n');
    const m = /^<stdin>:(\d+):(\d+): /.exec(first ?? '');
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBe(line);
    expect(src).toBe(
      `  ${(input.split('\n')[line - 1] ?? '').replace(/\t/g, ' ').replace(/\r/g, '␍').slice(0, 200)}${(input.split('\n')[line - 1] ?? '').length > 200 ? '…' : ''}`,
    );
    expect(caret).toBe(`  ${' '.repeat(Math.min(Number(m![2]) - 1, 200))}^`);
  });
});

describe('what the restore tools accept quietly is kept', () => {
  it('a missing final newline is accepted and kept (after a comment; a final COMMIT needs one: test/defects-text.test.ts)', () => {
    const text = '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n# Completed on Sat Nov 28 05:31:36 2026';
    expect(dfw(['fmt'], text).stdout).toBe(text);
  });
  it('251 arguments are accepted (the most iptables-restore reads)', () => {
    const line = `-A INPUT ${'-m comment --comment x '.repeat(61)}-p tcp -j ACCEPT -f`;
    expect(line.split(' ').length).toBe(251);
    expect(() => parseIptables(T(line))).not.toThrow();
  });
  it('empty lines are kept', () => {
    const text = '*filter\n\n:INPUT ACCEPT [0:0]\n\nCOMMIT\n';
    expect(dfw(['fmt'], text).stdout).toBe(text);
  });
  it('values that look like options after a free-text option are values (docs/format.md#getopt-reads-the-words)', () => {
    const d = parseIptables(T('-A INPUT -m comment --comment --looks-like-option -j ACCEPT'));
    const t = d.items[0];
    expect(t?.kind).toBe('table');
    const rule = t?.kind === 'table' ? t.body.find((s) => s.kind === 'rule') : undefined;
    expect(rule?.kind === 'rule' && rule.spec.matches[0]).toEqual({
      name: 'comment',
      options: [{ flag: '--comment', negated: false, values: ['--looks-like-option'] }],
    });
  });
});
