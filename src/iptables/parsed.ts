// Nodes parsed from text that keep their details for later: a dump of a million lines holds
// its source lines and one chain name per rule, and builds rule objects, and parses a rule's
// options, only when something asks for them. Printing a table prints its lines. Every node is
// frozen (src/source.ts): what is built later is frozen when built.
import type { ChainDecl, Counters, Rule, RuleSpec, Statement, Table, TableName } from './ast.js';
import { tokenizeFast as tokenize, type Token } from './lexer.js';
import { countersFrom, specFrom } from './materialize.js';
import { ShapeCache, parseShape, type LineShape } from './shape.js';
import { Sourced, SourcedNode, relocated, sourceText, type SourceText } from '../source.js';

/** Shapes by token-type sequence, shared by every parse (they depend on the grammar only). */
export const sharedCache = new ShapeCache();

/**
 * A rule read from text. `spec` and `counters` are read from the source line on first use.
 * To change one, make an edited copy: `editRule(rule, { chain: 'X' })` (src/iptables/build.ts).
 */
export class ParsedRule extends Sourced implements Rule {
  readonly kind = 'rule' as const;
  readonly chain: string;
  #spec: RuleSpec | undefined;

  constructor(text: string, line: number, chain: string) {
    super(text, line);
    this.chain = chain;
    Object.freeze(this);
  }

  /** The `[p:b]` prefix, read from the source line when asked for. */
  get counters(): Counters | undefined {
    const text = Sourced.textOf(this)!;
    if (text.charCodeAt(0) !== 91 /* [ */) return undefined;
    return Object.freeze(countersFrom(text.slice(0, text.indexOf(']') + 1)));
  }

  get spec(): RuleSpec {
    if (this.#spec === undefined) {
      const text = Sourced.textOf(this)!;
      const toks = tokenize(text);
      const shape = this.shapeOf(toks);
      if (shape.kind !== 'rule' || shape.spec === null)
        throw new Error(`internal: line ${this.source.line} is no longer a rule`);
      this.#spec = specFrom(shape.spec, toks);
    }
    return this.#spec;
  }

  protected shapeOf(toks: Token[]): LineShape {
    return sharedCache.get(toks);
  }

  override toJSON(): object {
    const counters = this.counters;
    return {
      kind: this.kind,
      chain: this.chain,
      ...(counters ? { counters } : {}),
      spec: this.spec,
      source: this.source,
    };
  }
}

/** The plain path: a fresh nearley parse for the details too. */
export class PlainParsedRule extends ParsedRule {
  protected override shapeOf(toks: Token[]): LineShape {
    return parseShape(toks);
  }
}

/**
 * A table read from text. Its body stays in the text (rules and chain lines as the offset of
 * their line) until something reads `body`; then the nodes are built, once, and frozen. Since
 * no node of it can change, it prints as its source text whether or not its body was read.
 */
export class ParsedTable extends Sourced implements Table {
  readonly kind = 'table' as const;
  readonly name: TableName;
  readonly #line: number;
  readonly #text: string;
  /** Offset of the first body line, and of the COMMIT line once seen. */
  readonly #bodyStart: number;
  #commitStart = -1;
  #commit: SourceText | undefined;
  /** A statement node, or the offset of a line left in the text; for rules, #chains has its chain ('' for a chain line). */
  readonly #entries: (Statement | number)[] = [];
  readonly #chains: (string | undefined)[] = [];
  #body: readonly Statement[] | undefined;
  readonly #plain: boolean;

  constructor(text: string, name: TableName, header: string, line: number, bodyStart: number, plain = false) {
    super(header, line);
    this.#text = text;
    this.name = name;
    this.#line = line;
    this.#bodyStart = bodyStart;
    this.#plain = plain;
    Object.freeze(this);
  }

  /** The COMMIT line. */
  get commit(): SourceText | undefined {
    return this.#commit;
  }

  /** A rule line the parser checked (fast path) at `start`: its node is built when the body is read. */
  addRuleAt(start: number, chain: string): void {
    this.#entries.push(start);
    this.#chains.push(chain);
  }

  /** A `:NAME POLICY [p:b]` line the parser checked (fast path), single-spaced. */
  addDeclAt(start: number): void {
    this.#entries.push(start);
    this.#chains.push('');
  }

  /** A node the parser built (a trusted one: the body's text stays the source of every node). */
  add(s: Statement): void {
    this.#entries.push(s);
    this.#chains.push(undefined);
  }

  /** The COMMIT line, at offset `start`. */
  close(commit: SourceText, start: number): void {
    this.#commit = Object.freeze(commit);
    this.#commitStart = start;
  }

  #lineAt(start: number): string {
    const eol = this.#text.indexOf('\n', start);
    return this.#text.slice(start, eol < 0 ? this.#text.length : eol);
  }

  /** The node of entry `i`, built on first use and kept, so that `body` and `rulesIn` agree. */
  #node(i: number): Statement {
    const e = this.#entries[i]!;
    if (typeof e !== 'number') return e;
    const chain = this.#chains[i]!;
    const raw = this.#lineAt(e);
    const node =
      chain === ''
        ? declFrom(raw, this.#line + 1 + i)
        : new (this.#plain ? PlainParsedRule : ParsedRule)(raw, this.#line + 1 + i, chain);
    this.#entries[i] = node;
    return node;
  }

  get body(): readonly Statement[] {
    if (this.#body === undefined) {
      const body: Statement[] = new Array(this.#entries.length);
      for (let i = 0; i < body.length; i++) body[i] = this.#node(i);
      this.#body = Object.freeze(body);
    }
    return this.#body;
  }

  /** The body's source text (its lines joined by line ends), or undefined when it has no line. */
  bodyText(): string | undefined {
    if (this.#entries.length === 0 || this.#commitStart < 0) return undefined;
    return this.#text.slice(this.#bodyStart, this.#commitStart - 1);
  }

  /** Whether some rule's source line passes `test`, stopping at the first; no node is built. */
  someRuleLine(test: (raw: string) => boolean): boolean {
    for (let i = 0; i < this.#entries.length; i++) {
      const e = this.#entries[i]!;
      if (typeof e === 'number' ? this.#chains[i] !== '' && test(this.#lineAt(e)) : isRuleLine(e, test)) return true;
    }
    return false;
  }

  /** The rules of one chain, built without building the others. */
  rulesIn(chain: string): Rule[] {
    const out: Rule[] = [];
    const chains = this.#chains;
    for (let i = 0; i < chains.length; i++) {
      const c = chains[i];
      const e = this.#entries[i]!;
      if (c === chain || (c === undefined && typeof e !== 'number' && e.kind === 'rule' && e.chain === chain))
        out.push(this.#node(i) as Rule);
    }
    return out;
  }

  /** Whether `s` occurs in the body's source text (nothing is built). */
  sourceIncludes(s: string): boolean {
    return this.bodyText()?.includes(s) ?? false;
  }

  override toJSON(): object {
    return {
      kind: this.kind,
      name: this.name,
      body: this.body,
      source: this.source,
      ...(this.#commit ? { commit: this.#commit } : {}),
    };
  }
}

/** The node of a `:NAME POLICY [p:b]` line the parser accepted on its fast path. */
function declFrom(raw: string, line: number): ChainDecl {
  const [name, policy, counters] = raw.slice(1).split(' ');
  return new SourcedNode(
    { kind: 'chain', name: name!, policy: policy!, counters: countersFrom(counters!) },
    raw,
    line,
  ) as unknown as ChainDecl;
}

/** The same trusted node, read from line `line` (the JSON reader's nodes keep their own numbers). */
export function relocatedStatement(s: Statement, line: number): Statement {
  const text = sourceText(s);
  if (text === undefined) return s;
  if (s instanceof PlainParsedRule) return new PlainParsedRule(text, line, s.chain);
  if (s instanceof ParsedRule) return new ParsedRule(text, line, s.chain);
  return relocated(s, line);
}

/** Whether `s` is a rule read from a line that passes `test`. */
function isRuleLine(s: Statement, test: (raw: string) => boolean): boolean {
  if (s.kind !== 'rule') return false;
  const text = sourceText(s);
  return text !== undefined && test(text);
}

function someRaw(body: readonly Statement[], test: (raw: string) => boolean): boolean {
  return body.some((s) => isRuleLine(s, test));
}

/** Whether some rule's source line in any table (parsed or built) passes `test`, stopping at the first. */
export function someRuleLine(table: Table, test: (raw: string) => boolean): boolean {
  return table instanceof ParsedTable ? table.someRuleLine(test) : someRaw(table.body, test);
}

/** The rules of one chain of any table, without building the others. */
export function chainRules(table: Table, chain: string): Rule[] {
  return table instanceof ParsedTable
    ? table.rulesIn(chain)
    : table.body.filter((s): s is Rule => s.kind === 'rule' && s.chain === chain);
}

/** The body text of a parsed table, for the printer: its lines, as they were read. */
export function tableBodyText(table: Table): string | undefined {
  return table instanceof ParsedTable ? table.bodyText() : undefined;
}

/** Whether `s` occurs in any line of the table body (no node is built for a parsed table). */
export function tableIncludes(table: Table, s: string): boolean {
  return table instanceof ParsedTable
    ? table.sourceIncludes(s)
    : table.body.some((x) => sourceText(x)?.includes(s) ?? true);
}
