// Hostile input: dumps that the real tools write but cannot read back
// (docs/format.md#dumps-the-tools-write-but-cannot-read-back).
// dfw must refuse them at parse time and say what is wrong, in the words of what produced the
// dump (a value holding a line break, printed raw by iptables-save and so split over two lines;
// a name printed raw although it holds a quote or a blank), instead of "unterminated quote" or,
// worse, printing a file that fails later in iptables-restore.
//
// First as fixed text (always), then produced by the real iptables/ipset in a namespace (nft
// and legacy), where the test also shows that the real restore indeed fails on the same dump.
import { describe, expect, it } from 'vitest';
import { DfwSyntaxError } from '../src/errors.js';
import { parseIpset } from '../src/ipset/index.js';
import { parseIptables } from '../src/iptables/parse.js';
import { dfw } from './support/cli.js';
import { describeNetns, Netns, stripSaveDates } from './support/netns.js';

const table = (...rules: string[]) =>
  ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join(
    '\n',
  );

interface Bad {
  id: string;
  what: string;
  text: string;
  /** 1-based line of the error. */
  line: number;
  /** Everything the message must say. */
  says: RegExp[];
}

/** iptables-save output that iptables-restore cannot read back. */
const IPTABLES: Bad[] = [
  {
    id: 'E11',
    what: 'a comment with an embedded newline (E11)',
    text: table('-A INPUT -m comment --comment "line1', 'line2" -j ACCEPT'),
    line: 5,
    says: [/line break/, /closed only on line 6/, /split over 2 lines/, /iptables-save/, /cannot read it back/],
  },
  {
    id: 'E11-two-breaks',
    what: 'a comment with two newlines',
    text: table('-A INPUT -m comment --comment "a', 'b', 'c" -j ACCEPT'),
    line: 5,
    says: [/line break/, /closed only on line 7/, /split over 3 lines/],
  },
  {
    id: 'E11-rule-lookalike',
    what: 'a comment whose second line looks like a rule (`x⏎-A INPUT -j ACCEPT`)',
    text: table('-A INPUT -m comment --comment "x', '-A INPUT -j ACCEPT" -j DROP'),
    line: 5,
    says: [/--comment value/, /line break/, /closed only on line 6/],
  },
  {
    id: 'E11-log-prefix-counters',
    what: 'a newline in a value on a line with counters, further down a dump',
    text: table('[1:2] -A INPUT -j ACCEPT', '[3:4] -A INPUT -m comment --comment "first', 'second" -j ACCEPT'),
    line: 6,
    says: [/line break/, /closed only on line 7/],
  },
  {
    id: 'E13',
    what: 'E13: a comment ending with a newline, escaped quote before it',
    text: table('-A INPUT -m comment --comment "a\\\\b c\\" -j ACCEPT', '"'),
    line: 5,
    says: [/line break/, /closed only on line 6/],
  },
  {
    id: 'iface-quote-in',
    what: 'an interface a"b (-i), printed raw',
    text: table('-A INPUT -i a"b -j ACCEPT'),
    line: 5,
    says: [/interface name/, /-i/, /double quote/, /a"b/, /raw/],
  },
  {
    id: 'iface-quote-out',
    what: 'an interface a"b (-o), printed raw',
    text: table('-A OUTPUT -o a"b -j ACCEPT'),
    line: 5,
    says: [/interface name/, /-o/, /double quote/],
  },
  {
    id: 'chain-quote',
    what: 'a chain q"chain (declared and jumped to)',
    text: [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':q"chain - [0:0]',
      '-A INPUT -j q"chain',
      '-A q"chain -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n'),
    line: 4,
    says: [/chain name/, /-j/, /double quote/],
  },
  {
    id: 'set-quote',
    what: 'a set name with a double quote in --match-set',
    text: table('-A INPUT -m set --match-set a"b src -j ACCEPT'),
    line: 5,
    says: [/set name/, /--match-set/, /double quote/],
  },
  {
    id: 'comment-cr',
    what: 'a carriage return inside a comment',
    text: table('-A INPUT -m comment --comment "cr\rinside" -j ACCEPT'),
    line: 5,
    says: [/carriage return inside the line/],
  },
  {
    id: 'crlf',
    what: 'CRLF line ends',
    text: table('-A INPUT -j ACCEPT').replace(/\n/g, '\r\n'),
    line: 1,
    says: [/CRLF/],
  },
  // Known bugs (reported): these parse today, and `dfw fmt` prints a file iptables-restore rejects.
  {
    id: 'iface-space',
    what: 'an interface "a b" (-i a b): iptables-restore reads b as a stray argument',
    text: table('-A INPUT -i a b -j ACCEPT'),
    line: 5,
    says: [/interface/, /-i/, /blank|space|whitespace/],
  },
  {
    id: 'set-space',
    what: 'a set name with spaces (--match-set set with space src)',
    text: table('-A INPUT -m set --match-set set with space src -j ACCEPT'),
    line: 5,
    says: [/set name|--match-set/, /blank|space|whitespace|arguments/],
  },
];

/** ipset save output (or restore input written by other tools) that ipset restore cannot read. */
const IPSET: Bad[] = [
  {
    id: 'I3',
    what: 'I3: comment "" (ipset restore drops the empty word)',
    text: 'create s1 hash:ip family inet hashsize 1024 maxelem 65536 comment bucketsize 12 initval 0x1\nadd s1 10.0.0.4 comment ""\n',
    line: 2,
    says: [/comment/],
  },
  {
    id: 'I4',
    what: 'I4: a set name with a space',
    text: 'create set with space hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000030\nadd set with space 10.0.0.1\n',
    line: 1,
    says: [],
  },
  {
    id: 'ipset-comment-newline',
    what: 'a comment with a newline, split over two lines by ipset save',
    text: 'create c hash:ip family inet hashsize 1024 maxelem 65536 comment bucketsize 12 initval 0x1\nadd c 192.0.2.3 comment "a\nb"\n',
    line: 2,
    says: [/quote/],
  },
];

function syntaxError(parse: () => unknown): DfwSyntaxError {
  try {
    parse();
  } catch (e) {
    if (e instanceof DfwSyntaxError) return e;
    throw e;
  }
  throw new Error('parsed without an error');
}

describe('dumps iptables-save writes but iptables-restore cannot read: named at parse time', () => {
  it.each(IPTABLES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    for (const cache of [true, false]) {
      const e = syntaxError(() => parseIptables(c.text, { file: 'dump.v4', cache }));
      expect(e.line, c.what).toBe(c.line);
      for (const re of c.says) expect(e.reason, `${c.what}: ${e.reason}`).toMatch(re);
      expect(e.reason).not.toMatch(/internal/);
    }
    // Through the CLI: exit 2, nothing on stdout, FILE:LINE:COL first.
    const r = dfw(['fmt', '-'], c.text);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^<stdin>:${c.line}:\\d+: `));
  });
});

describe('ipset save dumps ipset restore cannot read: refused at parse time (wording: see the report)', () => {
  it.each(IPSET.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const e = syntaxError(() => parseIpset(c.text, 'sets.save'));
    expect(e.line, `${c.what}: ${e.message}`).toBe(c.line);
    for (const re of c.says) expect(e.reason, `${c.what}: ${e.reason}`).toMatch(re);
  });
});

// Known bugs (reported), found by test/hostile-fuzz.test.ts and checked with the real tools.
describe('restore input the tools read differently from dfw', () => {
  it('a chain declaration with a quote keeps the quote in the name (the : line is split by strtok), on both paths', () => {
    for (const decl of [':q"chain - [0:0]', ':q"chain -']) {
      const text = ['*filter', ':INPUT ACCEPT [0:0]', decl, 'COMMIT', ''].join('\n');
      for (const cache of [true, false]) {
        const t = parseIptables(text, { cache }).items.find((i) => i.kind === 'table');
        const names = t?.kind === 'table' ? t.body.flatMap((x) => (x.kind === 'chain' ? [x.name] : [])) : [];
        expect(names, `${decl} (cache ${cache})`).toEqual(['INPUT', 'q"chain']);
      }
    }
  });

  it('a chain name of 15 "é" (30 bytes) is refused: iptables counts bytes ("must be under 29 chars")', () => {
    const name = '\u00e9'.repeat(15);
    for (const cache of [true, false]) {
      const e = syntaxError(() =>
        parseIptables(['*filter', `:${name} - [0:0]`, `-A ${name} -j ACCEPT`, 'COMMIT', ''].join('\n'), { cache }),
      );
      expect(e.line).toBe(2);
      expect(e.reason).toMatch(/28/);
    }
    // 14 of them (28 bytes) is the longest name iptables accepts.
    const ok = '\u00e9'.repeat(14);
    expect(() =>
      parseIptables(['*filter', `:${ok} - [0:0]`, `-A ${ok} -j ACCEPT`, 'COMMIT', ''].join('\n')),
    ).not.toThrow();
  });
});

const VARIANTS = ['nft', 'legacy'] as const;
const TOOLS = ['ipset', ...VARIANTS.flatMap((v) => [`iptables-${v}`, `iptables-${v}-restore`, `iptables-${v}-save`])];

/** How to make each unrestorable rule with the real iptables, and what dfw must say about it. */
const MADE: { id: string; before?: string[][]; args: string[]; says: RegExp[] }[] = [
  {
    id: 'comment-newline',
    args: ['-A', 'INPUT', '-m', 'comment', '--comment', 'line1\nline2', '-j', 'ACCEPT'],
    says: [/line break/],
  },
  {
    id: 'comment-rule-lookalike',
    args: ['-A', 'INPUT', '-m', 'comment', '--comment', 'x\n-A INPUT -j ACCEPT', '-j', 'DROP'],
    says: [/line break/],
  },
  { id: 'iface-quote', args: ['-A', 'INPUT', '-i', 'a"b', '-j', 'ACCEPT'], says: [/interface name/, /double quote/] },
  {
    id: 'jump-chain-quote',
    before: [['-N', 'q"chain']],
    args: ['-A', 'INPUT', '-j', 'q"chain'],
    says: [/chain name/, /double quote/],
  },
  {
    id: 'set-quote',
    args: ['-A', 'INPUT', '-m', 'set', '--match-set', 'q"set', 'src', '-j', 'ACCEPT'],
    says: [/set name/, /double quote/],
  },
  // Known bugs (reported): accepted by dfw today.
  {
    id: 'iface-space',
    args: ['-A', 'INPUT', '-i', 'a b', '-j', 'ACCEPT'],
    says: [/interface/, /blank|space|whitespace/],
  },
  {
    id: 'set-space',
    args: ['-A', 'INPUT', '-m', 'set', '--match-set', 'set with space', 'src', '-j', 'ACCEPT'],
    says: [/set name|--match-set/, /blank|space|whitespace|arguments/],
  },
];

describeNetns(
  'unrestorable dumps made by the real tools',
  () => {
    it(
      'a chain named q"chain, declared only, restores (the : line is split by strtok), and dfw reads it',
      { timeout: 60_000 },
      () => {
        const ns = Netns.create('dumps-chain');
        try {
          for (const variant of VARIANTS) {
            expect(ns.run(`iptables-${variant}`, ['-N', 'q"chain']).status).toBe(0);
            const saved = ns.run(`iptables-${variant}-save`, []).stdout;
            expect(saved).toContain(':q"chain - [0:0]');
            expect(ns.run(`iptables-${variant}-restore`, ['--test'], saved).status).toBe(0);
            expect(dfw(['fmt', '-'], saved).status).toBe(0);
          }
        } finally {
          ns.delete();
        }
      },
    );

    for (const variant of VARIANTS) {
      for (const m of MADE) {
        it(
          `iptables-${variant}: ${m.id}: the real restore fails or loads another rule, and dfw names the problem`,
          { timeout: 60_000 },
          () => {
            const ns = Netns.create(`dumps-${variant}`);
            try {
              const ok = (cmd: string, args: string[], input?: string) => {
                const r = ns.run(cmd, args, input, 45_000);
                expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
                return r.stdout;
              };
              ok('ipset', ['create', 'q"set', 'hash:ip']);
              ok('ipset', ['create', 'set with space', 'hash:ip']);
              for (const b of m.before ?? []) ok(`iptables-${variant}`, b);
              ok(`iptables-${variant}`, m.args);
              const saved = ok(`iptables-${variant}-save`, []);
              // The real restore fails on what the real save wrote, or loads other rules...
              const restore = ns.run(`iptables-${variant}-restore`, [], saved, 45_000);
              if (restore.status === 0) {
                const again = ok(`iptables-${variant}-save`, []);
                expect(stripSaveDates(again), `${m.id}: iptables-${variant}-restore loaded it unchanged`).not.toBe(
                  stripSaveDates(saved),
                );
              }
              // ...and dfw says why, at parse time.
              const r = dfw(['fmt', '-'], saved);
              expect(r.status, `${m.id}:\n${saved}\n${r.stderr}`).toBe(2);
              expect(r.stdout).toBe('');
              for (const re of m.says) expect(r.stderr, `${m.id}: ${r.stderr}`).toMatch(re);
            } finally {
              ns.delete();
            }
          },
        );
      }
    }

    it(
      'ipset: a set name with a space and a comment with a newline are saved, fail in restore, and dfw refuses them',
      { timeout: 60_000 },
      () => {
        const a = Netns.create('dumps-ipset');
        const b = Netns.create('dumps-ipset2');
        try {
          const ok = (ns: Netns, args: string[], input?: string) => {
            const r = ns.run('ipset', args, input, 30_000);
            expect(r.status, `ipset ${args.join(' ')}: ${r.stderr}`).toBe(0);
            return r.stdout;
          };
          ok(a, ['create', 'set with space', 'hash:ip']);
          ok(a, ['add', 'set with space', '192.0.2.1']);
          const spaced = ok(a, ['save']);
          ok(a, ['destroy']);
          ok(a, ['create', 'c', 'hash:ip', 'comment']);
          ok(a, ['add', 'c', '192.0.2.3', 'comment', 'a\nb']);
          const newline = ok(a, ['save']);
          for (const [what, saved] of [
            ['space', spaced],
            ['newline', newline],
          ] as const) {
            const restore = b.run('ipset', ['restore'], saved, 30_000);
            expect(restore.status, `${what}: ipset restore accepted:\n${saved}`).not.toBe(0);
            b.run('ipset', ['destroy'], undefined, 30_000);
            const e = syntaxError(() => parseIpset(saved, 'sets.save'));
            expect(e.line).toBeGreaterThan(0);
          }
        } finally {
          a.delete();
          b.delete();
        }
      },
    );
  },
  TOOLS,
);
