// The command vocabulary (src/iptables/commands.ts) against everything that derives from it:
// the grammar accepts exactly the table's forms and puts each word where the table says, the
// lexer and the scan classify every spelling alike, the parser, the printer and the JSON form
// agree on ops, and the real iptables-restore accepts each form and each counters prefix the
// table allows (and refuses the others).
import { describe, expect, it } from 'vitest';
import {
  COMMANDS as TABLE,
  COMMAND_OPS,
  REFUSED_COMMANDS,
  SECTIONS,
  type CommandWord,
  type Slot,
} from '../src/iptables/commands.js';
import grammar from '../src/grammar/iptables.gen.js';
import { iptablesFromJson, iptablesToJson } from '../src/iptables/json.js';
import { TOKEN_TYPES, tokenize, tokenizeFast, type Token, type TokenType } from '../src/iptables/lexer.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printCommand, printIptables } from '../src/iptables/print.js';
import { newScan, scanKey, scanString } from '../src/iptables/scan.js';
import { parseShape, shapeKey, type LineShape } from '../src/iptables/shape.js';
import type { Command, Table } from '../src/iptables/ast.js';
import { Netns, describeNetns } from './support/netns.js';

/** The rows as their interface says (the table's own type narrows each row to its literals). */
const COMMANDS: readonly CommandWord[] = TABLE;

const tok = (type: TokenType, index: number): Token => ({
  type,
  value: type,
  text: type,
  offset: index,
  index,
  quoted: false,
});

/** What a form says about `flag` + `words` words + (a non-empty spec or none), or undefined if it does not fit. */
function fits(form: readonly Slot[], words: number, withSpec: boolean): boolean {
  const positional = form.filter((s) => s !== 'spec');
  const required = positional.filter((s) => !s.endsWith('?')).length;
  if (withSpec && !form.includes('spec')) return false;
  return words >= required && words <= positional.length;
}

function shapeOf(tokens: Token[]): LineShape | undefined {
  try {
    return parseShape(tokens);
  } catch {
    return undefined;
  }
}

describe('the grammar accepts exactly the forms of the command table', () => {
  // Every command followed by 0..4 words, then nothing or a spec (`-j word`), with and without
  // a counters prefix: the grammar must accept a sequence iff one of the table's forms fits it.
  const cases = COMMANDS.flatMap((c) =>
    [0, 1, 2, 3, 4].flatMap((words) =>
      [false, true].flatMap((withSpec) => [false, true].map((counters) => ({ c, words, withSpec, counters }))),
    ),
  );

  it.each(
    cases.map((x) => [`${x.c.short} +${x.words} words${x.withSpec ? ' + spec' : ''}${x.counters ? ', [p:b]' : ''}`, x]),
  )('%s', (_, { c, words, withSpec, counters }) => {
    const tokens: Token[] = [];
    if (counters) tokens.push(tok('counters', 0));
    const op = tokens.length;
    tokens.push(tok(c.token as TokenType, op));
    for (let k = 0; k < words; k++) tokens.push(tok('word', tokens.length));
    if (withSpec) tokens.push(tok('jump', tokens.length), tok('word', tokens.length + 1));
    const form = c.forms.find((f) => fits(f, words, withSpec));
    const shape = shapeOf(tokens);
    if (form === undefined) {
      expect(shape).toBeUndefined();
      return;
    }
    expect(shape).toBeDefined();
    expect(shape).toMatchObject({
      kind: c.op === 'append' ? 'rule' : 'command',
      op,
      counters: counters ? 0 : -1,
      chain: words > 0 ? op + 1 : -1,
      args: Array.from({ length: Math.max(0, words - 1) }, (_, k) => op + 2 + k),
    });
    const spec = (shape as { spec: unknown }).spec;
    if (form.includes('spec')) expect(spec).not.toBeNull();
    else expect(spec).toBeNull();
  });
});

describe('the lexer, the scan and the shape keys', () => {
  it('every spelling of every flag word is its token type, in both lexers and in the scan', () => {
    const s = newScan();
    for (const w of [...COMMANDS, ...SECTIONS])
      for (const spelling of [w.short, w.long]) {
        const line = `${spelling} X`;
        expect(tokenize(line).map((t) => t.type)).toEqual([w.token, 'word']);
        expect(tokenizeFast(line)).toEqual(tokenize(line));
        expect(scanString(line, s), line).toBe(true);
        expect(scanKey(s)).toBe(shapeKey(tokenize(line)));
      }
  });

  it('each token type has its own shape-key character', () => {
    const codes = TOKEN_TYPES.map((t) => shapeKey([tok(t, 0)]));
    expect(codes.every((c) => c.length === 1)).toBe(true);
    expect(new Set(codes).size).toBe(TOKEN_TYPES.length);
  });

  it('the grammar names only token types of the lexer, and every flag word of the table', () => {
    const named = new Set(
      grammar.ParserRules.flatMap((r) => r.symbols).flatMap((sym) =>
        typeof sym === 'object' && sym !== null && 'type' in sym ? [(sym as { type: string }).type] : [],
      ),
    );
    for (const t of named) expect(TOKEN_TYPES).toContain(t);
    for (const w of [...COMMANDS, ...SECTIONS]) expect([...named]).toContain(w.token);
  });
});

/** A line for form `form` of `c` (with `spelling`) that the real iptables-restore accepts on the state `BASE` sets up. */
function instance(c: CommandWord, form: readonly Slot[], spelling: string, words = form.length): string {
  const chain = { policy: 'INPUT', newchain: 'NEW', delchain: 'EMPTY', rename: 'EMPTY' }[c.op as string] ?? 'FOO';
  const value: Record<Slot, string> = {
    chain,
    'chain?': chain,
    rulenum: '1',
    'rulenum?': '1',
    policy: 'DROP',
    newname: 'RENAMED',
    spec: '-j ACCEPT',
  };
  return [spelling, ...form.slice(0, words).map((s) => value[s])].join(' ');
}

/** Every form of every command, each optional slot left out or not, by both spellings. */
const lines = COMMANDS.flatMap((c) =>
  c.forms.flatMap((form) => {
    const optional = form.filter((s) => s.endsWith('?')).length;
    const lengths = Array.from({ length: optional + 1 }, (_, k) => form.length - k);
    return [c.short, c.long].flatMap((spelling) => lengths.map((n) => ({ c, line: instance(c, form, spelling, n) })));
  }),
);

const BASE =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:FOO - [0:0]\n:EMPTY - [0:0]\n-A FOO -j ACCEPT\nCOMMIT\n';
/** The state a command runs on: -X without a chain deletes every user chain, which must be empty. */
const baseFor = (c: CommandWord) => (c.op === 'delchain' ? BASE.replace('-A FOO -j ACCEPT\n', '') : BASE);
const inTable = (line: string) => `*filter\n${line}\nCOMMIT\n`;

describe('parser, printer and JSON form', () => {
  it.each(lines.map((x) => [x.line, x]))(
    '%s: fast path = plain path, prints back, through JSON too',
    (_, { c, line }) => {
      const text = inTable(line);
      const fast = parseIptables(text);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(parseIptables(text, { cache: false })));
      expect(printIptables(fast)).toBe(text);
      const node = (fast.items[0] as Table).body[0]!;
      if (c.op === 'append') {
        expect(node.kind).toBe('rule');
        return;
      }
      expect(node).toMatchObject({ kind: 'command', op: c.op, flag: line.split(' ')[0] });
      // Built from its fields alone, the node prints in the short spelling and parses back the same.
      // A spread copy leaves the source text behind (docs/library.md#the-source-text-rule).
      const fields: Command = { ...(node as Command) };
      const printed = printCommand(fields as Command);
      expect(printed.split(' ')[0]).toBe(c.short);
      const again = (parseIptables(inTable(printed)).items[0] as Table).body[0] as Command;
      expect({ ...again, flag: fields.flag }).toEqual(fields);
      const json = JSON.parse(JSON.stringify(iptablesToJson(fast))) as { items: { body: { op?: string }[] }[] };
      expect(printIptables(iptablesFromJson(json))).toBe(text);
    },
  );

  it('the JSON form names the table ops when an op is unknown', () => {
    const json = iptablesToJson(parseIptables(inTable('-N NEW'))) as { items: { body: { op: string }[] }[] };
    const copy = JSON.parse(JSON.stringify(json)) as typeof json;
    copy.items[0]!.body[0]!.op = 'list';
    delete (copy.items[0]!.body[0] as { raw?: string }).raw;
    expect(() => iptablesFromJson(copy)).toThrow(`expected one of ${COMMAND_OPS.join(', ')}`);
  });

  it.each(COMMANDS.map((c) => [c.short, c]))(
    'a [p:b] prefix before %s: accepted only where iptables --counters takes -c',
    (_, c) => {
      const line = `[1:2] ${instance(c, c.forms[0]!, c.short)}`;
      if (c.counters) expect(printIptables(parseIptables(inTable(line)))).toBe(inTable(line));
      else expect(() => parseIptables(inTable(line))).toThrow(/prefix before .*Illegal option/);
    },
  );

  it('a command node built with counters where they cannot stand is not printed', () => {
    const node: Command = {
      kind: 'command',
      op: 'newchain',
      flag: '-N',
      chain: 'X',
      args: [],
      counters: { packets: '1', bytes: '2' },
    };
    expect(() => printCommand(node)).toThrow(/prefix before -N/);
  });

  it.each(REFUSED_COMMANDS.flatMap((r) => [r.short, r.long]))('%s in a table is refused with why', (flag) => {
    expect(() => parseIptables(inTable(`${flag} INPUT`))).toThrow(
      new RegExp(`\`${flag}\` .*: it has no place in a dump`),
    );
  });
});

describeNetns('the command table against the real iptables-restore', () => {
  for (const variant of ['legacy', 'nft']) {
    const restore = `iptables-${variant}-restore`;

    it(`${variant}: every form and spelling of the table is accepted`, () => {
      const ns = Netns.create(`cmd-${variant}`);
      try {
        for (const { c, line } of lines) {
          ns.ok(restore, [], baseFor(c));
          // --noflush on the base state: nft 1.8.9 mishandles -R/-D on rules added in the same restore.
          const r = ns.run(restore, ['--noflush'], inTable(line));
          expect({ line, status: r.status, stderr: r.stderr }).toEqual({ line, status: 0, stderr: '' });
        }
      } finally {
        ns.delete();
      }
    });

    it(`${variant}: a [p:b] prefix with --counters works exactly where the table says`, () => {
      const ns = Netns.create(`cnt-${variant}`);
      try {
        for (const c of COMMANDS) {
          ns.ok(restore, [], baseFor(c));
          const line = `[1:2] ${instance(c, c.forms[0]!, c.short)}`;
          const r = ns.run(restore, ['--noflush', '--counters'], inTable(line));
          if (c.counters) expect({ line, status: r.status, stderr: r.stderr }).toEqual({ line, status: 0, stderr: '' });
          else
            expect({ line, status: r.status, illegal: /Illegal option `-c' with this command/.test(r.stderr) }).toEqual(
              { line, status: 2, illegal: true },
            );
        }
      } finally {
        ns.delete();
      }
    });

    it(`${variant}: the refused commands print or exit without changing a rule`, () => {
      const ns = Netns.create(`ref-${variant}`);
      try {
        for (const r of REFUSED_COMMANDS) {
          ns.ok(restore, [], BASE);
          const before = ns.ok(`iptables-${variant}-save`, ['-t', 'filter']).replace(/^#.*\n/gm, '');
          const out = ns.run(
            restore,
            ['--noflush'],
            `*filter\n-A INPUT -j DROP\n${r.short}\n-A INPUT -j ACCEPT\nCOMMIT\n`,
          );
          expect(out.status, r.short).toBe(0);
          const after = ns.ok(`iptables-${variant}-save`, ['-t', 'filter']).replace(/^#.*\n/gm, '');
          if (r.short === '-V' || r.short === '-h') expect(after, r.short).toBe(before);
          else expect(after, r.short).not.toBe(before);
        }
      } finally {
        ns.delete();
      }
    });
  }
});
