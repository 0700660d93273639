// The source-text rule (docs/library.md): a node prints as its source line only while that line
// is still true. Every in-place edit of a parsed node throws; edits through the helpers print.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  editChainDecl,
  editCommand,
  editDump,
  editRule,
  editTable,
  jump,
  match,
  opt,
  rule,
} from '../src/iptables/build.js';
import type { ChainDecl, Command, IptablesDump, Rule, Statement, Table } from '../src/iptables/ast.js';
import { iptablesFromJson, iptablesToJson } from '../src/iptables/json.js';
import { parseIptables } from '../src/iptables/parse.js';
import { printIptables, printStatement } from '../src/iptables/print.js';
import { editIpsetLine, type EntryLine, type IpsetLine } from '../src/ipset/ast.js';
import { ipsetFromJson, ipsetToJson } from '../src/ipset/json.js';
import { parseIpset } from '../src/ipset/parse.js';
import { printIpset, printLine } from '../src/ipset/print.js';
import { sourceText } from '../src/source.js';
import { applyPlugins } from '../src/transform/plugins.js';
import type { Policy } from '../src/policy/types.js';
import { FIXTURES, iptablesFixtures } from './support/fixtures.js';

const ipsetDir = join(FIXTURES, 'ipset');
const ipsetFixtures: [string, string][] = readdirSync(ipsetDir)
  .filter((f) => f.endsWith('.ipset'))
  .sort()
  .map((f) => [f, readFileSync(join(ipsetDir, f), 'utf8')]);

/** Every field of an object as the API shows it: own fields and the getters its JSON form lists. */
function fieldsOf(o: object): string[] {
  const keys = new Set(Object.keys(o));
  if (!Array.isArray(o)) for (const k of Object.keys(JSON.parse(JSON.stringify(o)) as object)) keys.add(k);
  return [...keys];
}

/** A value unlike `v`, for an assignment that must not be taken silently. */
function other(v: unknown): unknown {
  if (typeof v === 'string') return `${v}X`;
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  return { edited: true };
}

/**
 * Walks every object reachable from `root` (nodes, specs, options, arrays, counters, sources) and
 * tries to change each field, add one, and push into each array: each attempt must throw a
 * TypeError. Returns how many objects and fields it tried.
 */
function assertFrozenTree(root: object): { objects: number; fields: number } {
  const seen = new Set<object>();
  let fields = 0;
  const visit = (o: object, path: string): void => {
    if (seen.has(o)) return;
    seen.add(o);
    const rec = o as Record<string, unknown>;
    for (const k of fieldsOf(o)) {
      const v = rec[k];
      fields++;
      expect(() => {
        rec[k] = other(v);
      }, `${path}.${k} = …`).toThrow(TypeError);
      expect(rec[k], `${path}.${k} unchanged`).toEqual(v);
      if (typeof v === 'object' && v !== null) visit(v, `${path}.${k}`);
    }
    if (Array.isArray(o)) {
      expect(() => (o as unknown[]).push({}), `${path}.push`).toThrow(TypeError);
    } else {
      // `source` too: a node without one cannot be given one.
      const added = 'source' in o ? 'addedField' : 'source';
      expect(() => {
        rec[added] = { text: 'x', line: 1 };
      }, `${path}.${added} = …`).toThrow(TypeError);
    }
  };
  visit(root, 'dump');
  return { objects: seen.size, fields };
}

/** Every statement of a dump (table bodies read, so that they are built). */
function statements(dump: IptablesDump): Statement[] {
  return dump.items.flatMap((i) => (i.kind === 'table' ? i.body : [i]));
}

describe('parsed nodes are frozen, deeply', () => {
  it.each(iptablesFixtures())('%s: every field of every node refuses an in-place edit', (name, text) => {
    const dump = parseIptables(text, { file: name });
    // Read the lazy parts first: specs and counters are frozen when they are built.
    for (const s of statements(dump)) if (s.kind === 'rule') void s.spec;
    const { objects, fields } = assertFrozenTree(dump);
    expect(objects).toBeGreaterThan(statements(dump).length);
    expect(fields).toBeGreaterThan(objects);
    // The dump still prints as it was read.
    expect(printIptables(dump)).toBe(text);
  });

  it.each(ipsetFixtures)('%s: every field of every line refuses an in-place edit', (name, text) => {
    const dump = parseIpset(text, name);
    assertFrozenTree(dump);
    expect(printIpset(dump)).toBe(text);
  });

  it('the JSON readers return frozen dumps too', () => {
    const [name, text] = iptablesFixtures().find(([n]) => n === 'docker29.nft.counters.v4')!;
    assertFrozenTree(iptablesFromJson(iptablesToJson(parseIptables(text, { file: name }))));
    const [iname, itext] = ipsetFixtures.find(([n]) => n === 'bitmap.ipset')!;
    assertFrozenTree(ipsetFromJson(ipsetToJson(parseIpset(itext, iname)), iname));
  });

  it('a kind of every node is covered: rule, chain, comment, blank, command, table; every ipset line kind', () => {
    const dump = parseIptables(
      '# c\n\n*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n# in\n\n[1:2] -A INPUT -s 192.0.2.1/32 -m comment --comment "a b" -j X\n-I INPUT 1 -j ACCEPT\n-N Y\n-P INPUT DROP\nCOMMIT\n',
    );
    const kinds = new Set(statements(dump).map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['blank', 'chain', 'command', 'comment', 'rule']);
    for (const s of statements(dump)) if (s.kind === 'rule') void s.spec;
    assertFrozenTree(dump);
    const sets = parseIpset(
      '# c\n\ncreate a hash:ip comment\nadd a 192.0.2.1 comment "x"\nadd -exist a 192.0.2.2\ndel a 192.0.2.1\ntest a 192.0.2.2\nrename a b\nswap b b\nflush b\ndestroy b\nflush\nCOMMIT\n',
      'x',
    );
    expect([...new Set(sets.lines.map((l) => l.kind))].sort()).toEqual(
      ['add', 'blank', 'comment', 'commit', 'create', 'del', 'destroy', 'flush', 'rename', 'swap', 'test'].sort(),
    );
    assertFrozenTree(sets);
  });
});

describe('an edit either throws or prints', () => {
  const text =
    '*filter\n:INPUT ACCEPT [0:0]\n[5:300] -A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';

  it('the issue: rule.spec.target.name = "DROP" throws in strict code', () => {
    const dump = parseIptables(text);
    const r = (dump.items[0] as Table).body[1] as Rule;
    expect(() => {
      (r.spec.target as { name: string }).name = 'DROP';
    }).toThrow(TypeError);
    expect(printIptables(dump)).toBe(text);
  });

  it('in sloppy code the edit is ignored: the node and its printed line stay what they were', () => {
    const dump = parseIptables(text);
    const r = (dump.items[0] as Table).body[1] as Rule;
    // A Function body is sloppy-mode code, as a CommonJS script without 'use strict'.
    const sloppy = new Function('r', 'r.spec.target.name = "DROP"; r.chain = "X"; r.spec.options.length = 0;');
    sloppy(r);
    expect(r.spec.target?.name).toBe('ACCEPT');
    expect(r.chain).toBe('INPUT');
    expect(printIptables(dump)).toBe(text);
  });

  it('a spread copy drops the source and prints its own fields', () => {
    const dump = parseIptables(text);
    const r = (dump.items[0] as Table).body[1] as Rule;
    const copy: Rule = { ...r, spec: r.spec, chain: 'FORWARD' };
    expect(sourceText(copy)).toBeUndefined();
    expect(printStatement(copy)).toBe('-A FORWARD -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT');
    const decl = (dump.items[0] as Table).body[0] as ChainDecl;
    expect(printStatement({ ...decl, policy: 'DROP' })).toBe(':INPUT DROP [0:0]');
  });

  it('a hand-made object with a `source` field prints canonically', () => {
    const forged = {
      kind: 'chain',
      name: 'X',
      policy: '-',
      source: { text: ':Y - [0:0]', line: 1 },
    } as ChainDecl;
    expect(sourceText(forged)).toBeUndefined();
    expect(printStatement(forged)).toBe(':X - [0:0]');
    const line = { kind: 'flush', exist: false, set: 'a', source: { text: 'destroy', line: 1 } } as IpsetLine;
    expect(printLine(line)).toBe('flush a');
  });

  it('editRule, editChainDecl, editCommand, editTable, editDump: the edit prints, the rest is untouched', () => {
    const full = `# head\n${text.replace('COMMIT', '-I INPUT 1 -j ACCEPT\nCOMMIT')}`;
    const dump = parseIptables(full);
    const t = dump.items[1] as Table;
    const [decl, r, cmd] = t.body as [ChainDecl, Rule, Command];
    const body = [
      editChainDecl(decl, { policy: 'DROP', counters: { packets: '1', bytes: '2' } }),
      editRule(r, { spec: { ...r.spec, target: jump('DROP') }, counters: undefined }),
      editRule(r, { chain: 'OUTPUT' }),
      editCommand(cmd, { args: ['2'] }),
    ];
    const out = printIptables(editDump(dump, { items: [dump.items[0]!, editTable(t, { body })] }));
    expect(out).toBe(
      '# head\n*filter\n:INPUT DROP [1:2]\n-A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j DROP\n' +
        '[5:300] -A OUTPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT\n-I INPUT 2 -j ACCEPT\nCOMMIT\n',
    );
    // The edited copies are plain data: no source, and the parsed nodes are unchanged.
    for (const s of body) expect(sourceText(s)).toBeUndefined();
    expect(printIptables(dump)).toBe(full);
  });

  it('editIpsetLine: the edit prints, the parsed line stays', () => {
    const text = 'create a hash:ip timeout 30\nadd a 192.0.2.1 timeout 10\n';
    const d = parseIpset(text, 'x');
    const add = d.lines[1] as EntryLine;
    const edited = editIpsetLine(add, { entry: '192.0.2.9', options: [{ name: 'timeout', value: '20' }] });
    expect(printLine(edited)).toBe('add a 192.0.2.9 timeout 20');
    expect(printLine(editIpsetLine(add, { exist: true }))).toBe('add -exist a 192.0.2.1 timeout 10');
    expect(printLine(add)).toBe('add a 192.0.2.1 timeout 10');
    expect(() => {
      (add as { entry: string }).entry = '192.0.2.9';
    }).toThrow(TypeError);
  });

  it('a plugin-style insert: a new rule in a copy of the body', () => {
    const dump = parseIptables(text);
    const t = dump.items[0] as Table;
    expect(() => (t.body as Statement[]).push(rule('INPUT'))).toThrow(TypeError);
    const added = rule('INPUT', { matches: [match('comment', opt('--comment', 'new'))], target: jump('DROP') });
    const out = printIptables(editDump(dump, { items: [editTable(t, { body: [...t.body, added] })] }));
    expect(out).toBe(text.replace('COMMIT', '-A INPUT -m comment --comment new -j DROP\nCOMMIT'));
  });
});

describe('plugins', () => {
  const text = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n';
  const context = { policy: { name: 'p' } as Policy, family: 4 as const };

  it('may splice the bodies they are given; an edit of a parsed node fails with a hint', async () => {
    const dump = parseIptables(text);
    const spliced = await applyPlugins(
      dump,
      [
        {
          name: 'add',
          transform: (d) => void (d.items[0] as unknown as { body: Statement[] }).body.push(rule('INPUT')),
        },
      ],
      context,
    );
    expect(printIptables(spliced)).toBe(text.replace('COMMIT', '-A INPUT\nCOMMIT'));
    expect(printIptables(dump)).toBe(text);
    const edit = {
      name: 'edit',
      transform: (d: IptablesDump) => {
        ((d.items[0] as Table).body[1] as { chain: string }).chain = 'OUTPUT';
      },
    };
    await expect(applyPlugins(dump, [edit], context)).rejects.toThrow(
      /plugin edit failed: .*read.only.*\(parsed nodes are read-only: return new nodes/,
    );
  });

  it('a plugin returning an edited copy prints the edit', async () => {
    const dump = parseIptables(text);
    const out = await applyPlugins(
      dump,
      [
        {
          name: 'drop',
          transform: (d) => {
            const t = d.items[0] as Table;
            const body = t.body.map((s) =>
              s.kind === 'rule' ? editRule(s, { spec: { ...s.spec, target: jump('DROP') } }) : s,
            );
            return editDump(d, { items: [editTable(t, { body })] });
          },
        },
      ],
      context,
    );
    expect(printIptables(out)).toBe(text.replace('-j ACCEPT', '-j DROP'));
  });
});
