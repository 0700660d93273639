// The JSON form of an iptables dump, for other languages and jq (`dfw parse`, `dfw fmt --from-json`).
//
// It is the AST as it is, plus `"version": 1`. Nodes read from text carry `raw`, their source
// line; when a JSON node still agrees with its `raw` (the same fields as parsing `raw` gives),
// it prints as `raw`, byte for byte. A node whose fields were edited, or a node without `raw`,
// is validated and printed in canonical iptables-save form, exactly like a node built in code.
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

export const JSON_VERSION = 1;

/**
 * The JSON value `dfw parse` prints (`version: 1`): the AST, each parsed node with its `raw`.
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
  const out: RuleSpec = { options, matches };
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

/** A statement from JSON: its structured fields, and `raw` when given. */
function statement(v: Json, p: Path): Statement {
  const o = obj(v, p);
  const raw = o.raw === undefined ? undefined : str(o.raw, p.key('raw'));
  const located = raw === undefined ? {} : { raw };
  switch (o.kind) {
    case 'comment': {
      onlyKeys(o, ['kind', 'text', 'raw', 'line'], p);
      const text = str(o.text, p.key('text'));
      if (!text.startsWith('#')) p.key('text').fail('a comment line starts with #');
      return { kind: 'comment', text, ...located };
    }
    case 'blank':
      onlyKeys(o, ['kind', 'raw', 'line'], p);
      return { kind: 'blank', ...located };
    case 'chain': {
      onlyKeys(o, ['kind', 'name', 'policy', 'counters', 'raw', 'line'], p);
      const policy = o.policy === undefined ? '-' : str(o.policy, p.key('policy'));
      if (!['ACCEPT', 'DROP', '-'].includes(policy)) p.key('policy').fail('expected ACCEPT, DROP or -');
      const c: ChainDecl = { kind: 'chain', name: chainName(o.name, p.key('name')), policy, ...located };
      const k = counters(o.counters, p.key('counters'));
      if (k) c.counters = k;
      return c;
    }
    case 'rule': {
      onlyKeys(o, ['kind', 'chain', 'counters', 'spec', 'raw', 'line'], p);
      const r: Rule = {
        kind: 'rule',
        chain: chainName(o.chain, p.key('chain')),
        spec: spec(o.spec ?? {}, p.key('spec')),
        ...located,
      };
      const k = counters(o.counters, p.key('counters'));
      if (k) r.counters = k;
      return r;
    }
    case 'command': {
      onlyKeys(o, ['kind', 'op', 'flag', 'chain', 'args', 'spec', 'counters', 'raw', 'line'], p);
      if (!COMMAND_OPS.includes(o.op as CommandOp)) p.key('op').fail(`expected one of ${COMMAND_OPS.join(', ')}`);
      const c: Command = {
        kind: 'command',
        op: o.op as CommandOp,
        flag: o.flag === undefined ? '' : str(o.flag, p.key('flag')),
        args: arr(o.args ?? [], p.key('args')).map((x, i) => str(x, p.key('args').at(i))),
        ...located,
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

/** Structured fields of a node, for comparing a JSON node with the parse of its raw. */
function fields(s: Statement): object {
  switch (s.kind) {
    case 'comment':
      return { kind: s.kind, text: s.text };
    case 'blank':
      return { kind: s.kind };
    case 'chain':
      return { kind: s.kind, name: s.name, policy: s.policy, counters: s.counters };
    case 'rule':
      return { kind: s.kind, chain: s.chain, counters: s.counters, spec: JSON.parse(JSON.stringify(s.spec)) };
    case 'command':
      return {
        kind: s.kind,
        op: s.op,
        flag: s.flag,
        chain: s.chain,
        args: s.args,
        counters: s.counters,
        spec: s.spec && JSON.parse(JSON.stringify(s.spec)),
      };
  }
}

/** Keeps `raw` on the statements that still agree with it; drops it on edited ones. */
function reconcileRaw(table: TableName, body: Statement[], p: Path): Statement[] {
  const withRaw = body.filter((s) => s.raw !== undefined);
  if (withRaw.length === 0) return body;
  let parsed: Statement[];
  try {
    const t = parseIptables(`*${table}\n${withRaw.map((s) => s.raw).join('\n')}\nCOMMIT\n`, { file: `${p}` })
      .items[0] as Table;
    parsed = t.body;
  } catch (e) {
    // A raw line that does not parse: report it at its JSON path.
    const line = (e as { line?: number }).line;
    const idx = line === undefined ? -1 : body.indexOf(withRaw[line - 2]!);
    const where = idx >= 0 ? p.at(idx).key('raw') : p;
    return where.fail(`not a valid line: ${(e as Error).message.replace(/^[^ ]*: /, '')}`);
  }
  const agree = new Set<Statement>();
  withRaw.forEach((s, i) => {
    const q = parsed[i];
    if (q !== undefined && isDeepStrictEqual(fields(q), fields(s))) agree.add(s);
  });
  return body.map((s) => {
    if (s.raw === undefined || agree.has(s)) return s;
    const { raw: _raw, ...edited } = s;
    return edited as Statement;
  });
}

/**
 * Reads the JSON form back into a dump; throws DfwError with the JSON path of a bad node.
 * Nodes that agree with their `raw` print as it; edited and new nodes print canonically.
 *
 *   printIptables(iptablesFromJson(JSON.parse(edited)))
 */
export function iptablesFromJson(value: Json): IptablesDump {
  const top = new Path('');
  const o = obj(value, top);
  onlyKeys(o, ['version', 'kind', 'family', 'items', 'finalNewline'], top);
  if (o.version !== JSON_VERSION) top.key('version').fail(`expected ${JSON_VERSION} (the JSON form this dfw reads)`);
  if (o.kind !== 'iptables') top.key('kind').fail('expected "iptables"');
  const items: TopLevel[] = arr(o.items, top.key('items')).map((v, i) => {
    const p = top.key('items').at(i);
    const it = obj(v, p);
    if (it.kind !== 'table') {
      const s = statement(v, p);
      if (s.kind !== 'comment' && s.kind !== 'blank')
        return p.key('kind').fail('outside a table only comment and blank lines may stand');
      if (s.raw !== undefined && s.raw !== (s.kind === 'comment' ? s.text : '')) {
        const { raw: _raw, ...edited } = s;
        return edited as TopLevel;
      }
      return s;
    }
    onlyKeys(it, ['kind', 'name', 'body', 'raw', 'line', 'commit'], p);
    const name = str(it.name, p.key('name'));
    if (!(TABLES as readonly string[]).includes(name)) p.key('name').fail(`expected one of ${TABLES.join(', ')}`);
    const bp = p.key('body');
    const body = reconcileRaw(
      name as TableName,
      arr(it.body ?? [], bp).map((s, j) => statement(s, bp.at(j))),
      bp,
    );
    const t: Table = { kind: 'table', name: name as TableName, body };
    const raw = it.raw === undefined ? undefined : str(it.raw, p.key('raw'));
    if (raw === `*${name}`) t.raw = raw;
    if (it.commit !== undefined) {
      const c = obj(it.commit, p.key('commit'));
      if (c.raw === 'COMMIT' && typeof c.line === 'number') t.commit = { raw: 'COMMIT', line: c.line };
    }
    return t;
  });
  const dump: IptablesDump = {
    kind: 'iptables',
    items,
    finalNewline: o.finalNewline === undefined ? true : o.finalNewline === true,
  };
  if (o.family === 4 || o.family === 6) dump.family = o.family;
  else if (o.family !== undefined) top.key('family').fail('expected 4 or 6');
  return dump;
}
