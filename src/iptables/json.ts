// The JSON form of an iptables dump, for other languages and jq (`dfw parse`, `dfw fmt --from-json`).
//
// It is the AST as it is, plus `"version": 2`. Nodes read from text carry `source`, their line
// (`{ text, line }`). The reader trusts no source: it parses the text again and, when the parse
// gives the node's own fields, returns the parser's node (frozen, printing as that line); a node
// whose fields were edited, or without source, is validated and printed in canonical
// iptables-save form, exactly like a node built in code. Version 1 (`raw` and `line` fields)
// is still read.
import { isDeepStrictEqual } from 'node:util';
import { DfwError } from '../errors.js';
import {
  TABLES,
  type ChainDecl,
  type Command,
  type CommandOp,
  type Counters,
  type IptablesDump,
  type Option,
  type Rule,
  type RuleSpec,
  type Statement,
  type Table,
  type TableName,
  type TopLevel,
} from './ast.js';
import { COMMAND_OPS } from './commands.js';
import { chainNameBytes, parseIptables, MAX_CHAIN_NAME } from './parse.js';
import { relocatedStatement } from './parsed.js';
import { deepFreeze, sourceText, type Mutable, type SourceText } from '../source.js';
import { printSpec, printStatement } from './print.js';

/** The version of the JSON form this dfw writes (both formats); it reads 1 and 2. */
export const JSON_VERSION = 2;
const READS = [1, 2];

/**
 * The JSON value `dfw parse` prints (`version: 2`): the AST, each parsed node with its `source`.
 *
 *   JSON.stringify(iptablesToJson(parseIptables(text)))
 */
export function iptablesToJson(dump: IptablesDump): object {
  return { version: JSON_VERSION, ...JSON.parse(JSON.stringify(dump)) };
}

type Json = unknown;

class Path {
  constructor(private readonly parts: string) {}
  key(k: string): Path {
    return new Path(this.parts ? `${this.parts}.${k}` : k);
  }
  at(i: number): Path {
    return new Path(`${this.parts}[${i}]`);
  }
  fail(msg: string): never {
    throw new DfwError(`${this.parts || '(top)'}: ${msg}`);
  }
  toString(): string {
    return this.parts;
  }
}

function obj(v: Json, p: Path): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) p.fail(`expected an object, found ${describe(v)}`);
  return v as Record<string, Json>;
}

function arr(v: Json, p: Path): Json[] {
  if (!Array.isArray(v)) p.fail(`expected an array, found ${describe(v)}`);
  return v;
}

function str(v: Json, p: Path): string {
  if (typeof v !== 'string') p.fail(`expected a string, found ${describe(v)}`);
  if (/[\r\n\0]/.test(v)) p.fail('a line break or NUL would split the line in iptables-restore');
  return v;
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

function onlyKeys(o: Record<string, Json>, keys: string[], p: Path): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) p.key(k).fail(`unknown field (expected one of ${keys.join(', ')})`);
}

const FLAG = /^--?[A-Za-z0-9][A-Za-z0-9_-]*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const DIGITS = /^[0-9]{1,20}$/;

function counters(v: Json, p: Path): Counters | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, p);
  onlyKeys(o, ['packets', 'bytes'], p);
  const packets = str(o.packets, p.key('packets'));
  const bytes = str(o.bytes, p.key('bytes'));
  if (!DIGITS.test(packets)) p.key('packets').fail('expected a decimal number as text');
  if (!DIGITS.test(bytes)) p.key('bytes').fail('expected a decimal number as text');
  return { packets, bytes };
}

function chainName(v: Json, p: Path): string {
  const s = str(v, p);
  if (s === '' || /\s/.test(s)) p.fail('a chain name cannot be empty or hold blanks');
  if (chainNameBytes(s) > MAX_CHAIN_NAME) p.fail(`a chain name has at most ${MAX_CHAIN_NAME} bytes`);
  if (s.startsWith('-') || s.startsWith('!')) p.fail('a chain name cannot start with - or !');
  return s;
}

function option(v: Json, p: Path): Option {
  const o = obj(v, p);
  onlyKeys(o, ['flag', 'negated', 'values'], p);
  const flag = str(o.flag, p.key('flag'));
  if (!FLAG.test(flag)) p.key('flag').fail(`expected an option such as --dport, found ${JSON.stringify(flag)}`);
  const negated = o.negated ?? false;
  if (typeof negated !== 'boolean') return p.key('negated').fail('expected true or false');
  const values = arr(o.values ?? [], p.key('values')).map((x, i) => str(x, p.key('values').at(i)));
  return { flag, negated, values };
}

function spec(v: Json, p: Path): RuleSpec {
  const o = obj(v, p);
  onlyKeys(o, ['options', 'matches', 'target'], p);
  const options = arr(o.options ?? [], p.key('options')).map((x, i) => option(x, p.key('options').at(i)));
  const matches = arr(o.matches ?? [], p.key('matches')).map((x, i) => {
    const mp = p.key('matches').at(i);
    const m = obj(x, mp);
    onlyKeys(m, ['name', 'options'], mp);
    const name = str(m.name, mp.key('name'));
    if (!NAME.test(name)) mp.key('name').fail(`expected a match name such as tcp, found ${JSON.stringify(name)}`);
    return { name, options: arr(m.options ?? [], mp.key('options')).map((y, j) => option(y, mp.key('options').at(j))) };
  });
  const out: Mutable<RuleSpec> = { options, matches };
  if (o.target !== undefined) {
    const tp = p.key('target');
    const t = obj(o.target, tp);
    onlyKeys(t, ['kind', 'name', 'options'], tp);
    const kind = t.kind ?? 'jump';
    if (kind !== 'jump' && kind !== 'goto') return tp.key('kind').fail('expected "jump" or "goto"');
    const name = kind === 'goto' ? chainName(t.name, tp.key('name')) : str(t.name, tp.key('name'));
    if (!NAME.test(name) && kind === 'jump') chainName(name, tp.key('name'));
    out.target = {
      kind,
      name,
      options: arr(t.options ?? [], tp.key('options')).map((y, j) => option(y, tp.key('options').at(j))),
    };
  }
  return out;
}

/** The `source` of a node: a line of text and its number, or undefined when not given. */
function sourceOf(v: Json, p: Path): SourceText | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, p);
  onlyKeys(o, ['text', 'line'], p);
  const text = str(o.text, p.key('text'));
  const line = o.line;
  if (typeof line !== 'number' || !Number.isSafeInteger(line) || line < 1)
    return p.key('line').fail('expected a line number (1 or more)');
  return { text, line };
}

/** A node of version 1 (`raw` and `line`) in the words of version 2 (`source`). */
function fromV1(v: Json): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const { raw, line, ...rest } = v as Record<string, Json>;
  if (raw === undefined) return line === undefined ? v : rest;
  // A v1 node without its line number is read as an edited one: it prints canonically.
  return typeof line === 'number' ? { ...rest, source: { text: raw, line } } : rest;
}

/** A statement from JSON: its structured fields (checked), and the source it claims. */
function statement(v: Json, p: Path): Claim {
  const o = obj(v, p);
  const source = sourceOf(o.source, p.key('source'));
  return { node: fieldsOf(o, p), source, path: p };
}

function fieldsOf(o: Record<string, Json>, p: Path): Statement {
  switch (o.kind) {
    case 'comment': {
      onlyKeys(o, ['kind', 'text', 'source'], p);
      const text = str(o.text, p.key('text'));
      if (!text.startsWith('#')) p.key('text').fail('a comment line starts with #');
      return { kind: 'comment', text };
    }
    case 'blank':
      onlyKeys(o, ['kind', 'source'], p);
      return { kind: 'blank' };
    case 'chain': {
      onlyKeys(o, ['kind', 'name', 'policy', 'counters', 'source'], p);
      const policy = o.policy === undefined ? '-' : str(o.policy, p.key('policy'));
      if (!['ACCEPT', 'DROP', '-'].includes(policy)) p.key('policy').fail('expected ACCEPT, DROP or -');
      const c: Mutable<ChainDecl> = { kind: 'chain', name: chainName(o.name, p.key('name')), policy };
      const k = counters(o.counters, p.key('counters'));
      if (k) c.counters = k;
      return c;
    }
    case 'rule': {
      onlyKeys(o, ['kind', 'chain', 'counters', 'spec', 'source'], p);
      const r: Mutable<Rule> = {
        kind: 'rule',
        chain: chainName(o.chain, p.key('chain')),
        spec: spec(o.spec ?? {}, p.key('spec')),
      };
      const k = counters(o.counters, p.key('counters'));
      if (k) r.counters = k;
      return r;
    }
    case 'command': {
      onlyKeys(o, ['kind', 'op', 'flag', 'chain', 'args', 'spec', 'counters', 'source'], p);
      if (!COMMAND_OPS.includes(o.op as CommandOp)) p.key('op').fail(`expected one of ${COMMAND_OPS.join(', ')}`);
      const c: Mutable<Command> = {
        kind: 'command',
        op: o.op as CommandOp,
        flag: o.flag === undefined ? '' : str(o.flag, p.key('flag')),
        args: arr(o.args ?? [], p.key('args')).map((x, i) => str(x, p.key('args').at(i))),
      };
      if (o.chain !== undefined) c.chain = chainName(o.chain, p.key('chain'));
      if (o.spec !== undefined) c.spec = spec(o.spec, p.key('spec'));
      const k = counters(o.counters, p.key('counters'));
      if (k) c.counters = k;
      return c;
    }
    default:
      return p.key('kind').fail(`expected "comment", "blank", "chain", "rule" or "command", found ${describe(o.kind)}`);
  }
}

/** Structured fields of a node, for comparing a JSON node with the parse of its source. */
function fields(s: Statement): object {
  switch (s.kind) {
    case 'comment':
      return { kind: s.kind, text: s.text };
    case 'blank':
      return { kind: s.kind };
    case 'chain':
      return { kind: s.kind, name: s.name, policy: s.policy, counters: plain(s.counters) };
    case 'rule':
      return { kind: s.kind, chain: s.chain, counters: plain(s.counters), spec: plain(s.spec) };
    case 'command':
      return {
        kind: s.kind,
        op: s.op,
        flag: s.flag,
        chain: s.chain,
        args: plain(s.args),
        counters: plain(s.counters),
        spec: plain(s.spec),
      };
  }
}

/** A value as plain JSON data (no prototypes, no frozen marks), for deep comparison. */
function plain(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

/** A statement read from JSON, with the source it claims and its JSON path. */
interface Claim {
  node: Statement;
  source: SourceText | undefined;
  path: Path;
}

/**
 * The nodes of a body (or of the top level): the parser's own node where the claimed source
 * parses back to the node's fields, the checked fields (printed canonically) everywhere else.
 */
function trusted(table: TableName | undefined, read: readonly Claim[]): Statement[] {
  const claimed = read.filter((r) => r.source !== undefined);
  if (claimed.length === 0) return read.map((r) => r.node);
  const lines = claimed.map((r) => r.source!.text).join('\n');
  let parsed: readonly Statement[];
  try {
    const text = table === undefined ? `${lines}\n` : `*${table}\n${lines}\nCOMMIT\n`;
    const items = parseIptables(text).items;
    parsed = table === undefined ? (items as readonly Statement[]) : (items[0] as Table).body;
  } catch (e) {
    // A source line that does not parse: report it at its JSON path.
    const line = (e as { line?: number }).line;
    const bad = line === undefined ? undefined : claimed[line - (table === undefined ? 1 : 2)];
    const where = bad === undefined ? read[0]!.path : bad.path.key('source');
    return where.fail(`not a valid line: ${(e as Error).message.replace(/^[^ ]*: /, '')}`);
  }
  const agree = new Map<Claim, Statement>();
  if (parsed.length === claimed.length)
    claimed.forEach((r, i) => {
      const q = parsed[i]!;
      if (isDeepStrictEqual(fields(q), fields(r.node))) agree.set(r, relocatedStatement(q, r.source!.line));
    });
  return read.map((r) => agree.get(r) ?? r.node);
}

function table(it: Record<string, Json>, p: Path, v1: boolean): Table {
  onlyKeys(it, ['kind', 'name', 'body', 'source', 'commit'], p);
  const name = str(it.name, p.key('name'));
  if (!(TABLES as readonly string[]).includes(name)) p.key('name').fail(`expected one of ${TABLES.join(', ')}`);
  // The `*name` and COMMIT lines: what a table says is its name, so they print from it.
  sourceOf(it.source, p.key('source'));
  if (it.commit !== undefined && !v1) sourceOf(it.commit, p.key('commit'));
  const bp = p.key('body');
  const body = arr(it.body ?? [], bp).map((s, j) => statement(v1 ? fromV1(s) : s, bp.at(j)));
  const nodes = trusted(name as TableName, body);
  nodes.forEach((n, j) => paths.set(n, body[j]!.path));
  const t: Table = { kind: 'table', name: name as TableName, body: nodes };
  paths.set(t, p);
  return t;
}

/** The JSON path of each node read, for the check of the whole text (reset by each read). */
let paths = new WeakMap<object, Path>();

/**
 * The checks of the text parser on what a dump read from JSON prints as (issue 22): each line
 * must parse, and each node printed canonically must read back as the same node (a match option
 * `-j ACCEPT` would become the rule's target). A problem is reported at the node's JSON path.
 */
function checkAsText(dump: IptablesDump): void {
  const where: (Path | undefined)[] = [];
  const nodes: (Statement | undefined)[] = [];
  const lines: string[] = [];
  const add = (node: Statement | undefined, path: Path | undefined, line: () => string) => {
    try {
      lines.push(line());
    } catch (e) {
      (path ?? new Path('')).fail((e as Error).message);
    }
    where.push(path);
    nodes.push(node);
  };
  for (const it of dump.items) {
    if (it.kind !== 'table') {
      add(undefined, paths.get(it), () => printStatement(it));
      continue;
    }
    const tp = paths.get(it);
    add(undefined, tp, () => `*${it.name}`);
    for (const s of it.body) add(s, paths.get(s), () => printStatement(s));
    const last = it === dump.items[dump.items.length - 1] && !dump.finalNewline;
    add(undefined, last ? new Path('finalNewline') : tp, () => 'COMMIT');
  }
  const text = lines.join('\n') + (dump.finalNewline ? '\n' : '');
  let parsed: IptablesDump;
  try {
    parsed = parseIptables(text);
  } catch (e) {
    const line = (e as { line?: number }).line ?? 1;
    const at = where[line - 1] ?? new Path('');
    const reason = (e as Error).message.replace(/^[^ ]*: /, '');
    return at.fail(
      `it would be written as ${JSON.stringify(lines[line - 1] ?? '')}, which iptables-restore cannot take: ${reason}`,
    );
  }
  const back = parsed.items.flatMap((it) => (it.kind === 'table' ? [undefined, ...it.body, undefined] : [undefined]));
  nodes.forEach((n, i) => {
    if (n === undefined || sourceText(n) !== undefined || readsBack(n, back[i])) return;
    (where[i] ?? new Path('')).fail(
      `it would be written as ${JSON.stringify(lines[i])}, which reads back as another rule`,
    );
  });
}

/** Whether a node printed canonically parses back as the same node (the parts the printer keeps as they are). */
function readsBack(node: Statement, back: Statement | undefined): boolean {
  if (back === undefined || back.kind !== node.kind) return false;
  const spec = (s: Statement) => (s.kind === 'rule' || s.kind === 'command' ? s.spec : undefined);
  const a = spec(node);
  const b = spec(back);
  if (a === undefined || b === undefined) return a === b;
  const target = (t: RuleSpec['target']) =>
    t === undefined ? undefined : { kind: t.kind ?? 'jump', name: t.name, options: t.options };
  return (
    printSpec(a) === printSpec(b) &&
    isDeepStrictEqual(plain(a.matches), plain(b.matches)) &&
    isDeepStrictEqual(plain(target(a.target)), plain(target(b.target)))
  );
}

/**
 * Reads the JSON form back into a dump; throws DfwError with the JSON path of a bad node.
 * Nodes whose fields agree with their `source` print as it; edited and new nodes print
 * canonically. The dump is frozen, like a parsed one.
 *
 *   printIptables(iptablesFromJson(JSON.parse(edited)))
 */
export function iptablesFromJson(value: Json): IptablesDump {
  paths = new WeakMap();
  const top = new Path('');
  const o = obj(value, top);
  // `layout` is what `dfw parse` reports of the dump (src/docker/layout.ts): read from the rules, never back.
  onlyKeys(o, ['version', 'kind', 'family', 'items', 'finalNewline', 'layout'], top);
  if (!READS.includes(o.version as number))
    top.key('version').fail(`expected ${JSON_VERSION} (or 1, the older form): the JSON forms this dfw reads`);
  const v1 = o.version === 1;
  if (o.kind !== 'iptables') top.key('kind').fail('expected "iptables"');
  if (o.family !== undefined && o.family !== 4 && o.family !== 6) top.key('family').fail('expected 4 or 6');
  const outside: Claim[] = [];
  const read = arr(o.items, top.key('items')).map((v, i): TopLevel | Claim => {
    const p = top.key('items').at(i);
    const it = obj(v1 ? fromV1(v) : v, p);
    if (it.kind === 'table') return table(it, p, v1);
    const s = statement(it, p);
    if (s.node.kind !== 'comment' && s.node.kind !== 'blank')
      return p.key('kind').fail('outside a table only comment and blank lines may stand');
    outside.push(s);
    return s;
  });
  const lines = trusted(undefined, outside);
  const items = read.map((x) => ('path' in x ? (lines[outside.indexOf(x)] as TopLevel) : x));
  outside.forEach((c, i) => paths.set(lines[i]!, c.path));
  const finalNewline = o.finalNewline === undefined ? true : o.finalNewline === true;
  const dump: IptablesDump =
    o.family === 4 || o.family === 6
      ? { kind: 'iptables', family: o.family, items, finalNewline }
      : { kind: 'iptables', items, finalNewline };
  checkAsText(dump);
  return deepFreeze(dump);
}
