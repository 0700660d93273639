// The ipset parser driver: splits lines, runs one nearley parser per line (docs/format.md#reading-lines: ipset
// restore reads line by line too), builds AST nodes that keep their exact text, and checks what
// the grammar leaves open (names, option values, elements for the set's type and family) with
// errors at a line and column.
import nearley from 'nearley';
import { DfwError, DfwSyntaxError } from '../errors.js';
import grammar from '../grammar/ipset.gen.js';
import { didYouMean } from '../text/suggest.js';
import type { EntryLine, IpsetDump, IpsetLine, IpsetOption } from './ast.js';
import { NONE, Sourced, SourcedNode } from '../source.js';
import { type SetHeader, readHeader } from './header.js';
import { type IpsetToken, KEYWORDS, tokenClass, tokenizeLine } from './lexer.js';
import { LINE_MAX_BYTES } from './limits.js';
import { checkSetName } from './set-name.js';
import { inetOf } from '../net/family.js';
import { byteLength } from '../text/utf8.js';
import { fastV4Element } from './fast-v4.js';
import { normalizeElement, normalizeEntryOptions } from './members.js';
import { SET_TYPES, commandOf, isOtherEnvOption, setTypeOf } from './settypes.js';

const compiled = nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules);

/** What a postprocessor of grammar/ipset.ne returns: token positions, not values. */
type Tree =
  | { kind: 'blank' }
  | { kind: 'comment' }
  | { kind: 'commit' }
  | {
      kind: 'create' | 'add' | 'del' | 'test' | 'flush' | 'destroy' | 'rename' | 'swap';
      cmd: number;
      args: number[];
      options: { key: number; value: number }[];
    };

type Outcome = { ok: true; tree: Tree; count: number } | { ok: false; at: number; expected: string[] };

interface EarleyState {
  rule: nearley.Rule;
  dot: number;
  isComplete: boolean;
  reference: number;
}
/** nearley keeps its chart in `table` (one column per token); its types do not declare it. */
const chart = (p: nearley.Parser): { states: EarleyState[] }[] =>
  (p as unknown as { table: { states: EarleyState[] }[] }).table;

interface Labelled {
  label?: string;
  literal?: string;
  type?: string;
  test?: unknown;
}

const COMMANDS = ['create', 'add', 'del', 'test', 'flush', 'destroy', 'rename', 'swap'];
const NOT_IN_RESTORE = ['list', 'save', 'restore', 'help', 'version', 'quit'];
const LEGACY = new Set(['probes', 'resize', 'gc', '-4', '-6']);

/** What the parser could have taken at a column, in words ("a set name", "timeout"). */
function expectations(parser: nearley.Parser, columnIndex: number): string[] {
  const column = chart(parser)[columnIndex];
  if (column === undefined) return [];
  const commands: string[] = [];
  const keywords: string[] = [];
  const words: string[] = [];
  let types = false;
  let eol = false;
  for (const st of column.states) {
    if (st.isComplete) {
      if (st.rule.name === 'line' && st.reference === 0) eol = true;
      continue;
    }
    const sym = st.rule.symbols[st.dot] as Labelled | string;
    if (typeof sym === 'string') continue;
    if (sym.literal !== undefined) keywords.push(sym.literal);
    else if (sym.type === 'word') words.push(wordLabel(st.rule, st.dot));
    else if (sym.label !== undefined && COMMANDS.includes(sym.label)) commands.push(sym.label);
    else if (sym.label !== undefined) types = true;
  }
  const out: string[] = [];
  if (commands.length > 0) out.push(`a command (${COMMANDS.filter((c) => commands.includes(c)).join(', ')})`);
  if (types) out.push('a set type (hash:ip, hash:net, hash:ip,port, bitmap:ip, list:set, …)');
  out.push(...new Set(words));
  const rank = [...KEYWORDS];
  const kws = [...new Set(keywords)].filter((k) => !LEGACY.has(k)).sort((a, b) => rank.indexOf(a) - rank.indexOf(b));
  if (kws.length === 1) out.push(kws[0] ?? '');
  else if (kws.length > 1) out.push(`an option (${kws.join(', ')})`);
  if (eol) out.push('end of line');
  return out;
}

function wordLabel(rule: nearley.Rule, dot: number): string {
  // Macro expansions are named after the rule that calls them (`hashOpt$macrocall$3`).
  if (rule.name.includes('$macrocall$') && dot === 1) {
    const inner = compiled.byName[String(rule.symbols[0])]?.[0]?.symbols[0] as Labelled | undefined;
    return `a value for ${inner?.literal ?? 'the option'}`;
  }
  if (rule.name === 'command') {
    const first = rule.symbols[0] as Labelled;
    if (dot === 1) return 'a set name';
    if (first.label === 'rename') return 'the new set name';
    if (first.label === 'swap') return 'the name of the set to swap with';
    return 'an element';
  }
  if (rule.name.startsWith('command$ebnf')) return 'a set name';
  return 'a word';
}

function orList(items: string[]): string {
  if (items.length <= 1) return items[0] ?? 'nothing';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

function runGrammar(tokens: readonly IpsetToken[]): Outcome {
  const parser = new nearley.Parser(compiled);
  try {
    parser.feed(tokens as unknown as string);
  } catch (e) {
    const tok = (e as { token?: IpsetToken }).token;
    return { ok: false, at: tok?.index ?? tokens.length, expected: expectations(parser, chart(parser).length - 2) };
  }
  const results = parser.results as Tree[];
  if (results.length === 0)
    return { ok: false, at: tokens.length, expected: expectations(parser, chart(parser).length - 1) };
  return { ok: true, tree: results[0] as Tree, count: results.length };
}

// Lines of a dump share few shapes (sequences of token classes): reuse the parse of a shape.
// At most SHAPE_CACHE_MAX: a line holds at most MAX_WORDS (30) words, so a key is a few hundred
// characters and the whole cache stays within a few megabytes, while a real dump uses a few
// dozen shapes. Full, it starts again empty, so that shapes seen later are still learnt.
const cache = new Map<string, Outcome>();
export const SHAPE_CACHE_MAX = 5000;

/** Shapes kept now (for the test that the limit holds). */
export function shapeCacheSize(): number {
  return cache.size;
}

function parseTokens(tokens: readonly IpsetToken[]): Outcome {
  const key = tokens.map(tokenClass).join(' ');
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const out = runGrammar(tokens);
  if (out.ok && out.count > 1) {
    throw new DfwError(
      `internal error: the ipset grammar is ambiguous (${out.count} parses) for a line of shape ${key}`,
    );
  }
  if (cache.size >= SHAPE_CACHE_MAX) cache.clear();
  cache.set(key, out);
  return out;
}

/** How many parses the grammar gives one line (exactly one for every valid line); for tests. */
export function countParses(line: string): number {
  const t = tokenizeLine(line);
  if (!t.ok) return 0;
  const out = runGrammar(t.tokens);
  return out.ok ? out.count : 0;
}

/** Why the grammar stopped, with hints for mistakes people make. */
function grammarError(out: Extract<Outcome, { ok: false }>, tokens: readonly IpsetToken[]): string {
  const tok = tokens[out.at];
  const expected = orList(out.expected);
  if (tok === undefined) return `unexpected end of line: expected ${expected}`;
  const found = `found ${JSON.stringify(tok.raw)}`;
  const cmd = commandOf(tok.value);
  if (out.at === 0 && tok.value.startsWith('COMMIT')) {
    return `expected a command, ${found}: COMMIT must be alone on its line with nothing after it, not even a blank (ipset restore compares the whole line with "COMMIT\\n")`;
  }
  if (out.at === 0 && cmd !== undefined && NOT_IN_RESTORE.includes(cmd)) {
    return `expected ${expected}, ${found}: "${cmd}" cannot be used in an ipset restore file`;
  }
  if (isOtherEnvOption(tok.value))
    return `expected ${expected}, ${found}: dfw reads only -exist / -! among ipset's options on a line`;
  let hint = '';
  if (out.expected.some((e) => e.startsWith('a set type'))) {
    hint = didYouMean(tok.value, [...SET_TYPES]) || ' (see `ipset help` for the types)';
  } else if (out.expected.some((e) => e.startsWith('an option'))) {
    const kws = /\(([^)]*)\)/.exec(out.expected.find((e) => e.startsWith('an option')) ?? '')?.[1]?.split(', ') ?? [];
    hint = didYouMean(tok.value, kws);
  } else if (out.at === 0) {
    hint = didYouMean(tok.value, COMMANDS);
  }
  return `expected ${expected}, ${found}${hint}`;
}

/**
 * The lexer drops `""` words, as ipset restore does: a value written `""` is no value at all.
 * When the grammar then misses a value, say so, or the message points at a word that is there.
 */
function droppedEmpty(raw: string, at: IpsetToken | undefined): string {
  const before = raw.slice(0, at === undefined ? raw.length : at.offset);
  return /(^|[ \t])""([ \t]|$)/.test(before)
    ? ' ("" is an empty value, which ipset restore reads as no value: "Missing mandatory argument")'
    : '';
}

export interface IpsetParseOptions {
  /**
   * Read `add SET ADDRESS` lines on the fast path (default true). `false` runs the lexer and
   * the grammar on every line: the plain path the fast one must equal.
   */
  fast?: boolean;
}

/** An `add SET ENTRY` line without options or -exist, as the fast path reads it: frozen, trusted. */
class ParsedAdd extends Sourced implements EntryLine {
  readonly kind = 'add' as const;
  readonly exist = false;
  readonly set: string;
  readonly entry: string;
  readonly options: readonly IpsetOption[] = NONE;

  constructor(set: string, entry: string, text: string, line: number) {
    super(text, line);
    this.set = set;
    this.entry = entry;
    Object.freeze(this);
  }
}

/**
 * `add SET ENTRY` with an IPv4 address or CIDR, the line of nearly every member of a big set,
 * read without the lexer and the grammar: the words are split at single spaces, and the line
 * is taken only when the general path has parsed `add SET 192.0.2.1` as an add (once per set
 * name: an address is never a keyword, so all such lines have its shape), the set exists, and
 * fastV4Element reads the entry. Anything else (quotes, tabs, -exist, options, an error) is left
 * to the general path, which also words the errors.
 */
class FastAdd {
  /** The set name whose shape, name and entry options were last found good. */
  private checked = '';
  private checkedHeader: SetHeader | undefined;

  constructor(
    private readonly sets: ReadonlyMap<string, SetHeader>,
    private readonly lines: IpsetLine[],
  ) {}

  line(raw: string, lineNo: number): boolean {
    if (!raw.startsWith('add ') || raw.length > LINE_MAX_BYTES / 3) return false;
    const sp = raw.indexOf(' ', 4);
    if (sp <= 4 || sp === raw.length - 1 || raw.indexOf(' ', sp + 1) >= 0) return false;
    if (raw.indexOf('"') >= 0 || raw.indexOf('\t') >= 0 || raw.indexOf('\r') >= 0) return false;
    const set = raw.slice(4, sp);
    const header = this.sets.get(set);
    if (header === undefined) return false;
    const entry = raw.slice(sp + 1);
    const element = fastV4Element(header, entry);
    if (element === undefined || !element.ok) return false;
    if (set !== this.checked || header !== this.checkedHeader) {
      const t = tokenizeLine(`add ${set} 192.0.2.1`);
      const shape = t.ok && t.exist.length === 0 ? parseTokens(t.tokens) : undefined;
      if (shape === undefined || !shape.ok || shape.tree.kind !== 'add' || shape.tree.options.length > 0) return false;
      if (checkSetName(set) !== undefined || !normalizeEntryOptions(header, 'add', []).ok) return false;
      this.checked = set;
      this.checkedHeader = header;
    }
    this.lines.push(new ParsedAdd(set, entry, raw, lineNo));
    return true;
  }
}

/**
 * Parses an `ipset save` dump or `ipset restore` file. Throws DfwSyntaxError at the first problem.
 * The lines are frozen and print as their source text (docs/library.md "The source-text rule").
 *
 *   const sets = parseIpset(execOutput, 'ipset save'); printIpset(sets) === execOutput;
 */
export function parseIpset(text: string, file: string, options: IpsetParseOptions = {}): IpsetDump {
  const parts = text.split('\n');
  let finalNewline = true;
  if (parts[parts.length - 1] === '') parts.pop();
  else finalNewline = false;
  if (parts.length === 0) return Object.freeze({ kind: 'ipset', file, lines: NONE, finalNewline: false });

  const p = new IpsetParser(file, finalNewline, parts.length);
  const fast = options.fast === false ? undefined : new FastAdd(p.sets, p.lines);
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i]!;
    if (!fast?.line(raw, i + 1)) p.line(raw, i + 1);
  }
  return Object.freeze({ kind: 'ipset', file, lines: Object.freeze(p.lines), finalNewline });
}

/** Reads an ipset command's set-name arguments: the names it checks (create/add/del/test name one set). */
function namedSets(tree: CommandTree): number[] {
  return tree.kind === 'create' || tree.kind === 'add' || tree.kind === 'del' || tree.kind === 'test'
    ? tree.args.slice(0, 1)
    : tree.args;
}

type CommandTree = Extract<Tree, { cmd: number }>;

/** The general path: one line at a time, with the sets created so far (to check elements). */
class IpsetParser {
  readonly sets = new Map<string, SetHeader>();
  readonly lines: IpsetLine[] = [];
  /** The line being read, for messages. */
  #raw = '';
  #lineNo = 0;
  #tokens: readonly IpsetToken[] = [];

  constructor(
    private readonly file: string,
    private readonly finalNewline: boolean,
    private readonly count: number,
  ) {}

  fail(reason: string, offset: number): never {
    const raw = this.#raw;
    const shown = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    throw new DfwSyntaxError(reason, {
      file: this.file,
      line: this.#lineNo,
      column: Math.min(offset, shown.length) + 1,
      source: shown,
    });
  }

  line(raw: string, lineNo: number): void {
    this.#raw = raw;
    this.#lineNo = lineNo;
    this.#checkLength(raw);
    const t = tokenizeLine(raw);
    if (!t.ok) return this.fail(t.reason, t.offset);
    const tokens = t.tokens;
    this.#tokens = tokens;
    const first = tokens[0];
    if (first?.type === 'commit' && !this.finalNewline && lineNo === this.count) {
      this.fail(
        'COMMIT on the last line needs a newline after it: ipset restore only recognises "COMMIT\\n" and reads a bare COMMIT as a command',
        first.offset,
      );
    }
    if (tokens.length === 0 && t.exist.length > 0)
      this.fail('expected a command after -exist, found end of line', raw.length);

    const out = parseTokens(tokens);
    if (!out.ok) {
      const tok = tokens[out.at];
      const shown = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      return this.fail(
        grammarError(out, tokens) + droppedEmpty(raw, tok),
        tok === undefined ? shown.trimEnd().length : tok.offset,
      );
    }
    const tree = out.tree;
    if (tree.kind === 'blank' || tree.kind === 'commit') return this.#push({ kind: tree.kind });
    if (tree.kind === 'comment') return this.#push({ kind: 'comment', text: first?.value ?? '' });
    this.#command(tree, t.exist.length > 0);
  }

  #push(fields: object): void {
    this.lines.push(new SourcedNode(fields, this.#raw, this.#lineNo) as unknown as IpsetLine);
  }

  /** fgets() with a 1024-byte buffer: a longer line is read as two lines (docs/format.md#reading-lines). */
  #checkLength(raw: string): void {
    if (raw.length <= LINE_MAX_BYTES / 3) return;
    const bytes = byteLength(raw);
    if (bytes <= LINE_MAX_BYTES) return;
    let n = 0;
    let at = 0;
    for (const ch of raw) {
      n += byteLength(ch);
      if (n > LINE_MAX_BYTES) break;
      at += ch.length;
    }
    this.fail(
      `line is ${bytes} bytes long: ipset restore reads at most ${LINE_MAX_BYTES} bytes a line and would read the rest as another line`,
      at,
    );
  }

  #tok(index: number): IpsetToken {
    const x = this.#tokens[index];
    if (x === undefined)
      throw new DfwError(`internal error: ipset grammar returned token ${index} of ${this.#tokens.length}`);
    return x;
  }

  /** Where option `index` of the line is, for messages (the command when there is none). */
  #optionAt(tree: CommandTree, index: number): number {
    const o = tree.options[index];
    return o === undefined ? this.#tok(tree.cmd).offset : this.#tok(o.value >= 0 ? o.value : o.key).offset;
  }

  #command(tree: CommandTree, exist: boolean): void {
    for (const n of namedSets(tree)) {
      const bad = checkSetName(this.#tok(n).value);
      if (bad !== undefined) this.fail(bad, this.#tok(n).offset);
    }
    const options: IpsetOption[] = tree.options.map(({ key, value }) => {
      const k = this.#tok(key).text;
      if (k === '-4') return { name: 'family', value: 'inet' };
      if (k === '-6') return { name: 'family', value: 'inet6' };
      return value < 0 ? { name: k } : { name: k, value: this.#tok(value).value };
    });
    const arg = (k: number): IpsetToken => this.#tok(tree.args[k] ?? -1);
    switch (tree.kind) {
      case 'create':
        return this.#create(tree, arg(0).value, arg(1), options, exist);
      case 'add':
      case 'del':
      case 'test':
        return this.#entry(tree, tree.kind, arg(0).value, arg(1), options, exist);
      case 'flush':
      case 'destroy':
        return this.#sets(tree.kind, tree.args.length > 0 ? arg(0).value : undefined, exist);
      case 'rename':
      case 'swap':
        return this.#pair(tree.kind, arg(0).value, arg(1).value, exist);
    }
  }

  #create(tree: CommandTree, set: string, typeTok: IpsetToken, options: IpsetOption[], exist: boolean): void {
    const type = setTypeOf(typeTok.value);
    if (type === undefined) return this.fail(`unknown set type ${JSON.stringify(typeTok.value)}`, typeTok.offset);
    const h = readHeader(type, options);
    if (!h.ok) return this.fail(h.reason, h.index < 0 ? typeTok.offset : this.#optionAt(tree, h.index));
    this.sets.set(set, h.header);
    this.#push({ kind: 'create', exist, set, type, options });
  }

  #entry(
    tree: CommandTree,
    kind: 'add' | 'del' | 'test',
    set: string,
    entryTok: IpsetToken,
    options: IpsetOption[],
    exist: boolean,
  ): void {
    const entry = entryTok.value;
    const header = this.sets.get(set);
    const o = normalizeEntryOptions(header, kind, options);
    if (!o.ok) return this.fail(o.reason, this.#optionAt(tree, o.index));
    if (header !== undefined) {
      const e = normalizeElement(header, entry);
      if (!e.ok)
        return this.fail(
          `${e.reason} (set ${set} is ${header.type}${header.family ? ` family ${inetOf(header.family)}` : ''})`,
          entryTok.offset,
        );
    }
    this.#push({ kind, exist, set, entry, options });
  }

  #sets(kind: 'flush' | 'destroy', set: string | undefined, exist: boolean): void {
    if (kind === 'destroy') {
      if (set === undefined) this.sets.clear();
      else this.sets.delete(set);
    }
    this.#push(set === undefined ? { kind, exist } : { kind, exist, set });
  }

  #pair(kind: 'rename' | 'swap', set: string, to: string, exist: boolean): void {
    const sets = this.sets;
    const a = sets.get(set);
    const b = sets.get(to);
    if (kind === 'rename') {
      sets.delete(set);
      if (a !== undefined) sets.set(to, a);
    } else {
      if (b !== undefined) sets.set(set, b);
      else sets.delete(set);
      if (a !== undefined) sets.set(to, a);
      else sets.delete(to);
    }
    this.#push({ kind, exist, set, to });
  }
}

/**
 * One entry as a policy writes it: an element, maybe followed by add options, in the words of an
 * `add` line (`10.0.0.0/8 nomatch`, `192.0.2.7 comment "home office"`). Not checked against a
 * set type here (see src/ipset/members.ts).
 */
export function parseEntryText(
  text: string,
): { ok: true; entry: string; options: IpsetOption[] } | { ok: false; reason: string } {
  const prefix = 'add x ';
  const t = tokenizeLine(prefix + text);
  if (!t.ok) return { ok: false, reason: t.reason };
  if (t.exist.length > 0) return { ok: false, reason: '-exist is not part of an entry' };
  if (t.tokens[0]?.type !== 'word' || t.tokens.length < 3) return { ok: false, reason: 'an entry must not be empty' };
  const out = parseTokens(t.tokens);
  if (!out.ok) return { ok: false, reason: grammarError(out, t.tokens) };
  const tree = out.tree;
  if (tree.kind !== 'add') return { ok: false, reason: 'not an entry' };
  const word = (i: number) => t.tokens[i]?.value ?? '';
  return {
    ok: true,
    entry: word(tree.args[1] ?? -1),
    options: tree.options.map(({ key, value }) =>
      value < 0 ? { name: t.tokens[key]?.text ?? '' } : { name: t.tokens[key]?.text ?? '', value: word(value) },
    ),
  };
}
