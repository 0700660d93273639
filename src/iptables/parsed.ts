// Nodes parsed from text that keep their details for later: a dump of a million lines holds
// its source lines and one chain name per rule, and builds rule objects, and parses a rule's
// options, only when something asks for them. Printing an untouched table prints its lines.
import type { ChainDecl, Counters, Rule, RuleSpec, Statement, Table, TableName } from './ast.js';
import { tokenizeFast as tokenize, type Token } from './lexer.js';
import { countersFrom, specFrom } from './materialize.js';
import { ShapeCache, parseShape, type LineShape } from './shape.js';

/** Shapes by token-type sequence, shared by every parse (they depend on the grammar only). */
export const sharedCache = new ShapeCache();

/**
 * A rule read from text. `spec` and `counters` are read from the source line on first use.
 * To copy one with changes, name them: `{ ...rule, spec: rule.spec, chain: 'X' }`.
 */
export class ParsedRule implements Rule {
  readonly kind = 'rule' as const;
  readonly raw: string;
  readonly line: number;
  readonly chain: string;
  private parsedSpec: RuleSpec | undefined;

  constructor(raw: string, line: number, chain: string) {
    this.raw = raw;
    this.line = line;
    this.chain = chain;
    this.parsedSpec = undefined;
  }

  /** The `[p:b]` prefix, read from the source line when asked for. */
  get counters(): Counters | undefined {
    if (this.raw.charCodeAt(0) !== 91 /* [ */) return undefined;
    return countersFrom(this.raw.slice(0, this.raw.indexOf(']') + 1));
  }

  get spec(): RuleSpec {
    if (this.parsedSpec === undefined) {
      const toks = tokenize(this.raw);
      const shape = this.shapeOf(toks);
      if (shape.kind !== 'rule' || shape.spec === null)
        throw new Error(`internal: line ${this.line} is no longer a rule`);
      this.parsedSpec = specFrom(shape.spec, toks);
    }
    return this.parsedSpec;
  }

  protected shapeOf(toks: Token[]): LineShape {
    return sharedCache.get(toks);
  }

  toJSON(): object {
    const counters = this.counters;
    return {
      kind: this.kind,
      chain: this.chain,
      ...(counters ? { counters } : {}),
      spec: this.spec,
      raw: this.raw,
      line: this.line,
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
 * their line) until something reads `body`; then the nodes are built, once. Printed untouched,
 * it is its source text.
 */
export class ParsedTable implements Table {
  readonly kind = 'table' as const;
  readonly name: TableName;
  readonly raw: string;
  readonly line: number;
  commit?: { raw: string; line: number };
  readonly #text: string;
  /** Offset of the first body line, and of the COMMIT line once seen. */
  readonly #bodyStart: number;
  #commitStart = -1;
  /** A statement node, or the offset of a line left in the text; for rules, #chains has its chain ('' for a chain line). */
  #entries: (Statement | number)[] = [];
  #chains: (string | undefined)[] = [];
  #body: Statement[] | undefined;
  readonly #plain: boolean;

  constructor(text: string, name: TableName, raw: string, line: number, bodyStart: number, plain = false) {
    this.#text = text;
    this.name = name;
    this.raw = raw;
    this.line = line;
    this.#bodyStart = bodyStart;
    this.#plain = plain;
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

  add(s: Statement): void {
    if (this.#body !== undefined) this.#body.push(s);
    else {
      this.#entries.push(s);
      this.#chains.push(undefined);
    }
  }

  /** The COMMIT line, at offset `start`. */
  close(commit: { raw: string; line: number }, start: number): void {
    this.commit = commit;
    this.#commitStart = start;
  }

  #lineAt(start: number): string {
    const eol = this.#text.indexOf('\n', start);
    return this.#text.slice(start, eol < 0 ? this.#text.length : eol);
  }

  #node(i: number): Statement {
    const e = this.#entries[i]!;
    if (typeof e !== 'number') return e;
    const chain = this.#chains[i]!;
    const raw = this.#lineAt(e);
    return chain === ''
      ? declFrom(raw, this.line + 1 + i)
      : new (this.#plain ? PlainParsedRule : ParsedRule)(raw, this.line + 1 + i, chain);
  }

  get body(): Statement[] {
    if (this.#body === undefined) {
      const body: Statement[] = new Array(this.#entries.length);
      for (let i = 0; i < body.length; i++) body[i] = this.#node(i);
      this.body = body;
    }
    return this.#body!;
  }

  set body(body: Statement[]) {
    this.#body = body;
    this.#entries = [];
    this.#chains = [];
  }

  /**
   * The body's source text (its lines joined by line ends), while no node has been asked
   * for; undefined after that, or when the body has no line.
   */
  sourceText(): string | undefined {
    if (this.#body !== undefined || this.#entries.length === 0 || this.#commitStart < 0) return undefined;
    return this.#text.slice(this.#bodyStart, this.#commitStart - 1);
  }

  /** Whether some rule's source line passes `test`, stopping at the first; no node is built. */
  someRuleLine(test: (raw: string) => boolean): boolean {
    if (this.#body !== undefined) return someRaw(this.#body, test);
    for (let i = 0; i < this.#entries.length; i++) {
      const e = this.#entries[i]!;
      if (
        typeof e === 'number'
          ? this.#chains[i] !== '' && test(this.#lineAt(e))
          : e.kind === 'rule' && e.raw !== undefined && test(e.raw)
      )
        return true;
    }
    return false;
  }

  /** The rules of one chain, built without building the others. */
  rulesIn(chain: string): Rule[] {
    if (this.#body !== undefined) return this.#body.filter((s): s is Rule => s.kind === 'rule' && s.chain === chain);
    const out: Rule[] = [];
    const chains = this.#chains;
    for (let i = 0; i < chains.length; i++) {
      const c = chains[i];
      if (
        c === chain ||
        (c === undefined &&
          (this.#entries[i] as Statement).kind === 'rule' &&
          (this.#entries[i] as Rule).chain === chain)
      )
        out.push(this.#node(i) as Rule);
    }
    return out;
  }

  /** Whether `s` occurs in the body's source text (without building anything, when untouched). */
  sourceIncludes(s: string): boolean {
    const src = this.sourceText();
    if (src !== undefined) return src.includes(s);
    return this.body.some((x) => x.raw === undefined || x.raw.includes(s));
  }

  toJSON(): object {
    return {
      kind: this.kind,
      name: this.name,
      body: this.body,
      raw: this.raw,
      line: this.line,
      ...(this.commit ? { commit: this.commit } : {}),
    };
  }
}

/** The node of a `:NAME POLICY [p:b]` line the parser accepted on its fast path. */
function declFrom(raw: string, line: number): ChainDecl {
  const [name, policy, counters] = raw.slice(1).split(' ');
  return { kind: 'chain', name: name!, policy: policy!, raw, line, counters: countersFrom(counters!) };
}

function someRaw(body: readonly Statement[], test: (raw: string) => boolean): boolean {
  return body.some((s) => s.kind === 'rule' && s.raw !== undefined && test(s.raw));
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

/** Whether `s` occurs in any line of the table body (no node is built for a parsed table). */
export function tableIncludes(table: Table, s: string): boolean {
  return table instanceof ParsedTable
    ? table.sourceIncludes(s)
    : table.body.some((x) => x.raw === undefined || x.raw.includes(s));
}
