// The iptables dump parser: splits lines, parses each with the nearley grammar (through
// the shape cache), tracks the table context, and reports errors where iptables-restore
// would fail or would silently do something other than what the text says.
import { DfwSyntaxError, syntaxErrorAt } from '../errors.js';
import {
  BUILTIN_CHAINS,
  TABLES,
  type BlankLine,
  type ChainDecl,
  type Command,
  type CommandOp,
  type CommentLine,
  type Family,
  type IptablesDump,
  type Statement,
  type Table,
  type TableName,
  type TopLevel,
} from './ast.js';
import { SourcedNode, type Mutable } from '../source.js';
import {
  FREE_TEXT_OPTIONS,
  LexError,
  RAW_VALUE_NAMES,
  VALUE_COUNTS,
  tokenizeFast as tokenize,
  unquote,
  type Token,
  type TokenType,
} from './lexer.js';
import { COMMANDS, commandOfToken, countersProblem, refusedCommand, type CommandToken } from './commands.js';
import { countersFrom, specFrom } from './materialize.js';
import { countersEnd, newScan, scanLine, tabIn, type Scan } from './scan.js';
import { AmbiguityError, ShapeError, parseShape, type LineShape } from './shape.js';
import { ParsedRule, ParsedTable, PlainParsedRule, sharedCache } from './parsed.js';

export interface ParseOptions {
  /** File name for messages (default `<input>`). */
  file?: string;
  /**
   * Reuse one grammar parse for every line of the same token-type sequence (default true).
   * `false` runs a fresh nearley parse on every line: the plain path the fast one must equal.
   */
  cache?: boolean;
}

/** iptables-restore reads lines with fgets(buffer, 10240): 10239 bytes plus the line end. */
export const MAX_LINE_BYTES = 10239;
/** MAX_ARGC 255 less `prog -t table` and the NULL slot (docs/format.md#limits-of-iptables-restore). */
export const MAX_ARGS = 251;
/** With `--counters`, a `[p:b]` prefix becomes `--set-counters P B`: three more slots. */
export const MAX_ARGS_WITH_COUNTERS = 248;
/** XT_EXTENSION_MAXNAMELEN 29 including the NUL. */
export const MAX_CHAIN_NAME = 28;

const DESCRIBE: Record<TokenType, string> = {
  comment: 'a # comment',
  table: 'a *table line',
  colon: 'a :CHAIN line',
  counters: '[packets:bytes]',
  commit: 'COMMIT',
  word: 'a value',
  bang: '`!`',
  opt: 'an option',
  match: '-m MATCH',
  jump: '-j TARGET',
  goto: '-g CHAIN',
  ...(Object.fromEntries(COMMANDS.map((c) => [c.token, c.short])) as Record<CommandToken, string>),
};

/**
 * Parses an iptables-save / ip6tables-save dump (or iptables-restore input) into the AST.
 * Throws DfwSyntaxError (file:line:column, the line, what was expected) where
 * iptables-restore would fail or silently read something else. The nodes are frozen and
 * print as their source lines (docs/library.md "The source-text rule").
 *
 *   const dump = parseIptables(readFileSync('rules.v4', 'utf8'), { file: 'rules.v4' });
 *   printIptables(dump) === text; // untouched nodes print as their source text
 */
export function parseIptables(text: string, options: ParseOptions = {}): IptablesDump {
  const p = new DumpParser(text, options.file ?? '<input>', options.cache !== false);
  const n = text.length;
  // Where the next carriage return is: a cursor, since lines come in order (-2: none left).
  let nextCR = -1;
  // Lines are walked in place: a line string is made only where a node needs one, so a
  // table that nothing changes costs no string per line.
  let lineNo = 0;
  for (let from = 0; from < n;) {
    let eol = text.indexOf('\n', from);
    if (eol < 0) eol = n;
    const start = from;
    from = eol + 1;
    lineNo++;
    if (nextCR !== -2 && nextCR < start) {
      nextCR = text.indexOf('\r', start);
      if (nextCR < 0) nextCR = -2;
    }
    const table = p.table;
    if (table !== undefined && p.useCache && !(nextCR >= 0 && nextCR < eol) && p.fast.line(table, start, eol)) continue;
    p.line(text.slice(start, eol), lineNo, start, from);
  }
  return p.finish();
}

/** The state of one parse and the general path: one method per kind of line. */
class DumpParser {
  /** The table being read, between its `*name` and COMMIT lines. */
  table: ParsedTable | undefined;
  readonly fast: FastPath;
  readonly #items: TopLevel[] = [];
  #family: Family | undefined;

  constructor(
    private readonly text: string,
    private readonly file: string,
    readonly useCache: boolean,
  ) {
    this.fast = new FastPath(text, newScan(text));
  }

  readonly fail: Fail = (reason, lineNo, source, offset) => {
    throw syntaxErrorAt(reason, this.file, lineNo, source, offset);
  };

  /** A line the fast path did not take: text[start, …) is `raw`, the next line starts at `next`. */
  line(raw: string, lineNo: number, start: number, next: number): void {
    checkLineText(raw, lineNo, this.fail);
    if (raw === '') return this.#push(new SourcedNode({ kind: 'blank' }, raw, lineNo) as unknown as BlankLine);
    if (raw.charCodeAt(0) === 35 /* # */) {
      if (lineNo <= 2 && this.table === undefined && this.#family === undefined) {
        if (raw.startsWith('# Generated by ip6tables')) this.#family = 6;
        else if (raw.startsWith('# Generated by iptables')) this.#family = 4;
      }
      return this.#push(new SourcedNode({ kind: 'comment', text: raw }, raw, lineNo) as unknown as CommentLine);
    }
    const toks = this.#tokens(raw, lineNo, next);
    const shape = this.#shape(toks, raw, lineNo);
    switch (shape.kind) {
      case 'comment':
        throw new Error('unreachable: comments are handled before tokenizing');
      case 'table':
        return this.#openTable(toks[shape.name]!.value.slice(1), raw, lineNo, next);
      case 'commit':
        return this.#commit(raw, lineNo, start);
      case 'chain':
        return this.#chain(shape, toks, raw, lineNo);
      case 'rule':
      case 'command':
        return this.#command(shape, toks, raw, lineNo);
    }
  }

  #push(s: BlankLine | CommentLine): void {
    if (this.table) this.table.add(s);
    else this.#items.push(s);
  }

  #tokens(raw: string, lineNo: number, next: number): Token[] {
    try {
      return tokenize(raw);
    } catch (e) {
      if (e instanceof LexError) {
        // The lines that follow, for a quote that a line break split (error path only).
        const following = [raw, ...this.text.slice(next).split('\n', MAX_CONTINUATION_LINES + 1)];
        this.fail(explainLexError(e, raw, following, 0, lineNo), lineNo, raw, e.offset);
      }
      throw e;
    }
  }

  #shape(toks: Token[], raw: string, lineNo: number): LineShape {
    try {
      return this.useCache ? sharedCache.get(toks) : parseShape(toks);
    } catch (e) {
      if (e instanceof ShapeError) {
        const at = e.index < toks.length ? toks[e.index]!.offset : raw.length;
        this.fail(explainShapeError(e, toks, this.table !== undefined), lineNo, raw, at);
      }
      if (e instanceof AmbiguityError) this.fail(`internal error: ${e.message}`, lineNo, raw, 0);
      throw e;
    }
  }

  #openTable(name: string, raw: string, lineNo: number, next: number): void {
    if (this.table)
      this.fail(
        `\`*${name}\` inside table ${this.table.name}: COMMIT expected first (iptables-restore reads this line as a rule and fails)`,
        lineNo,
        raw,
        0,
      );
    if (!(TABLES as readonly string[]).includes(name))
      this.fail(`unknown table \`${name}\`: expected one of ${TABLES.join(', ')}`, lineNo, raw, 1);
    this.table = new ParsedTable(this.text, name as TableName, raw, lineNo, next, !this.useCache);
    this.#items.push(this.table);
  }

  #commit(raw: string, lineNo: number, start: number): void {
    if (!this.table) this.fail('COMMIT outside a table: expected a *table line first', lineNo, raw, 0);
    if (raw !== 'COMMIT')
      this.fail('characters after COMMIT: iptables-restore accepts only `COMMIT` alone on its line', lineNo, raw, 6);
    // iptables-legacy-restore commits only on `COMMIT\n` and reads a bare final COMMIT as a rule
    // ("Bad argument `COMMIT'"); iptables-nft-restore accepts it (docs/format.md#how-a-line-is-classified).
    if (start + raw.length >= this.text.length)
      this.fail(
        'COMMIT without a line end at the end of the input: iptables-legacy-restore rejects it ("Bad argument `COMMIT\'"); end the file with a newline',
        lineNo,
        raw,
        6,
      );
    this.table!.close({ text: raw, line: lineNo }, start);
    this.table = undefined;
  }

  #chain(shape: Extract<LineShape, { kind: 'chain' }>, toks: Token[], raw: string, lineNo: number): void {
    const table = this.table;
    if (!table) return this.fail('chain line outside a table: expected a *table line first', lineNo, raw, 0);
    const nameTok = toks[shape.name]!;
    const policyTok = toks[shape.policy]!;
    const parts: DeclParts = {
      name: nameTok.value,
      nameOffset: nameTok.offset,
      policy: policyTok.value,
      policyOffset: policyTok.offset,
      counters: shape.counters >= 0 ? toks[shape.counters]!.value : undefined,
    };
    table.add(chainDecl(table, parts, raw, lineNo, this.fail));
  }

  #command(shape: Extract<LineShape, { kind: 'rule' | 'command' }>, toks: Token[], raw: string, lineNo: number): void {
    const table = this.table;
    if (!table) return this.fail('command outside a table: expected a *table line first', lineNo, raw, toks[0]!.offset);
    checkRuleTokens(toks, shape.counters >= 0, raw, lineNo, this.fail);
    table.add(statement(shape, toks, raw, lineNo, this.fail, this.useCache));
  }

  finish(): IptablesDump {
    const table = this.table;
    if (table) {
      const { text, line } = table.source;
      throw new DfwSyntaxError(
        `table ${table.name} is never committed: COMMIT expected before the end of input (iptables-restore fails with "COMMIT expected")`,
        { file: this.file, line, column: 1, source: text },
      );
    }
    const n = this.text.length;
    const finalNewline = n > 0 && this.text.charCodeAt(n - 1) === 10;
    const items = Object.freeze(this.#items);
    const family = this.#family;
    return Object.freeze(
      family === undefined
        ? { kind: 'iptables', items, finalNewline }
        : { kind: 'iptables', family, items, finalNewline },
    );
  }
}

/**
 * The fast path, as a small function called once per line: V8 optimises it after a few
 * hundred calls, where the long loop of parseIptables would wait for on-stack replacement.
 */
class FastPath {
  // Chain names repeat on every rule: keep one string per name.
  private readonly chainNames = new Map<string, string>();
  private lastChain = '';

  constructor(
    private readonly text: string,
    private readonly scan: Scan,
  ) {}

  /** Records text[start, eol) in `table` when it is a plain rule or chain line of a known shape. */
  line(table: ParsedTable, start: number, eol: number): boolean {
    const text = this.text;
    const scan = this.scan;
    if ((eol - start) * 3 > MAX_LINE_BYTES) return false;
    const c0 = text.charCodeAt(start);
    if (c0 === 45 || c0 === 91) {
      if (!scanLine(scan, start, eol)) return false;
      const shape = sharedCache.peekScan(scan);
      if (shape === undefined || shape.kind !== 'rule') return false;
      const hasCounters = shape.counters >= 0;
      const c = shape.chain;
      const at = start + scan.start[c]!;
      const len = scan.end[c]! - scan.start[c]!;
      // Consecutive rules mostly share their chain: reuse its name without slicing.
      let name: string;
      const last = this.lastChain;
      if (!scan.quoted[c] && len === last.length && text.startsWith(last, at)) name = last;
      else {
        const word = text.slice(at, at + len);
        name = scan.quoted[c] ? unquote(word) : word;
        name = this.chainNames.get(name) ?? (this.chainNames.set(name, name), name);
        if (chainNameBytes(name) > MAX_CHAIN_NAME) return false;
      }
      const first = name.charCodeAt(0);
      if (
        scan.n - (hasCounters ? 1 : 0) > (hasCounters ? MAX_ARGS_WITH_COUNTERS : MAX_ARGS) ||
        first === 45 ||
        first === 33
      )
        return false;
      this.lastChain = name;
      table.addRuleAt(start, name);
      return true;
    }
    if (c0 === 58 /* : */) {
      if (tabIn(scan, start, eol)) return false;
      if (!plainUserDecl(text, start, eol)) {
        const parts = plainDecl(text, start, eol);
        if (parts === undefined || declProblem(table, parts) !== undefined) return false;
      }
      table.addDeclAt(start);
      return true;
    }
    return false;
  }
}

type Fail = (reason: string, lineNo: number, source: string, offset: number) => never;

/** Problems with the line's characters that iptables-restore would not report clearly. */
function checkLineText(raw: string, lineNo: number, fail: Fail): void {
  const cr = raw.indexOf('\r');
  if (cr >= 0) {
    fail(
      cr === raw.length - 1
        ? 'carriage return at the end of the line (CRLF line ends?): iptables-restore does not accept them'
        : 'carriage return inside the line: a value holding \\r, which iptables-save prints raw; dfw refuses \\r anywhere in a dump (outside quotes iptables-restore reads it as part of a word, and tools that convert line ends change it): remove it from the rule on the host',
      lineNo,
      raw,
      cr,
    );
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so only long lines need counting.
  if (raw.length * 3 > MAX_LINE_BYTES) {
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes > MAX_LINE_BYTES)
      fail(
        `line is ${bytes} bytes: iptables-restore reads at most ${MAX_LINE_BYTES} bytes per line and would split it`,
        lineNo,
        raw,
        0,
      );
  }
  const c = raw.charCodeAt(0);
  if (c === 32 || c === 9) {
    const first = raw.search(/[^ \t]/);
    if (first < 0)
      fail(
        'line holds only blanks: iptables-restore skips only truly empty lines and fails on this one',
        lineNo,
        raw,
        0,
      );
    if (raw[first] === '#')
      fail('indented comment: `#` must be in column 1, iptables-restore reads this line as a rule', lineNo, raw, first);
  }
}

interface DeclParts {
  name: string;
  nameOffset: number;
  policy: string;
  policyOffset: number;
  counters: string | undefined;
}

function chainDecl(table: Table, d: DeclParts, raw: string, lineNo: number, fail: Fail): ChainDecl {
  checkDecl(table, d, raw, lineNo, fail);
  const fields = { kind: 'chain', name: d.name, policy: d.policy };
  return new SourcedNode(
    d.counters === undefined ? fields : { ...fields, counters: countersFrom(d.counters) },
    raw,
    lineNo,
  ) as unknown as ChainDecl;
}

/** What iptables-restore refuses on a `:` line, or would read otherwise than it looks. */
function checkDecl(table: Table, d: DeclParts, raw: string, lineNo: number, fail: Fail): void {
  const p = declProblem(table, d);
  if (p !== undefined) fail(p.reason, lineNo, raw, p.offset);
}

function declProblem(table: Table, d: DeclParts): { reason: string; offset: number } | undefined {
  const name = chainNameProblem(d.name);
  if (name !== undefined) return { reason: name, offset: d.nameOffset };
  const builtin = BUILTIN_CHAINS[table.name].includes(d.name);
  const policy = d.policy;
  if (builtin && policy !== 'ACCEPT' && policy !== 'DROP' && policy !== '-') {
    return {
      reason: `bad policy \`${policy}\` for built-in chain ${d.name}: expected ACCEPT or DROP`,
      offset: d.policyOffset,
    };
  }
  if (!builtin && policy !== '-') {
    return {
      reason: `user chain ${d.name} cannot have policy \`${policy}\`: expected \`-\` (iptables-legacy-restore fails, iptables-nft-restore ignores it)`,
      offset: d.policyOffset,
    };
  }
  return undefined;
}

/** `:NAME POLICY [p:b]` with single spaces, in text[from, to): its parts, when the grammar already knows this shape. */
function plainDecl(text: string, from: number, to: number): DeclParts | undefined {
  const a = text.indexOf(' ', from);
  const b = a < 0 ? -1 : text.indexOf(' ', a + 1);
  if (a <= from + 1 || b <= a + 1 || b >= to) return undefined;
  const c = text.indexOf(' ', b + 1);
  if (c >= 0 && c < to) return undefined;
  if (countersEnd(text, b + 1, to) !== to || sharedCache.peek(':wwc')?.kind !== 'chain') return undefined;
  const counters = text.slice(b + 1, to);
  return {
    name: text.slice(from + 1, a),
    nameOffset: 1,
    policy: text.slice(a + 1, b),
    policyOffset: a + 1 - from,
    counters,
  };
}

/**
 * Whether text[from, to) is `:NAME - [p:b]` with single spaces and a plain ASCII name that
 * declProblem accepts: the line iptables-save prints for every user chain (a big dump has
 * tens of thousands), checked in place without making a string. Anything else (a built-in
 * chain's policy, a name that needs its bytes counted) goes to plainDecl and declProblem.
 */
function plainUserDecl(text: string, from: number, to: number): boolean {
  const a = text.indexOf(' ', from);
  if (
    a <= from + 1 ||
    a - from - 1 > MAX_CHAIN_NAME ||
    text.charCodeAt(a + 1) !== 45 /* - */ ||
    text.charCodeAt(a + 2) !== 32
  )
    return false;
  const first = text.charCodeAt(from + 1);
  if (first === 45 /* - */ || first === 33 /* ! */) return false;
  for (let k = from + 1; k < a; k++) if (text.charCodeAt(k) >= 0x80) return false;
  // [p:b] up to the end of the line.
  if (countersEnd(text, a + 3, to) !== to) return false;
  return sharedCache.peek(':wwc')?.kind === 'chain';
}

/** A chain name's length in bytes, as iptables counts it (UTF-8 takes at most 3 bytes per UTF-16 unit). */
export function chainNameBytes(name: string): number {
  return name.length * 3 <= MAX_CHAIN_NAME ? name.length : Buffer.byteLength(name, 'utf8');
}

function chainNameProblem(name: string): string | undefined {
  const bytes = chainNameBytes(name);
  if (bytes > MAX_CHAIN_NAME)
    return `chain name is ${bytes} ${bytes === name.length ? 'characters' : 'bytes'}: at most ${MAX_CHAIN_NAME} bytes`;
  if (name.startsWith('-') || name.startsWith('!')) return `chain name cannot start with \`${name[0]}\``;
  return undefined;
}

function checkChainName(name: string, raw: string, lineNo: number, offset: number, fail: Fail): void {
  const p = chainNameProblem(name);
  if (p !== undefined) fail(p, lineNo, raw, offset);
}

/** Checks on rule and command words that the grammar does not express. */
function checkRuleTokens(toks: Token[], hasCounters: boolean, raw: string, lineNo: number, fail: Fail): void {
  const args = hasCounters ? toks.length - 1 : toks.length;
  const max = hasCounters ? MAX_ARGS_WITH_COUNTERS : MAX_ARGS;
  if (args > max) {
    fail(
      `${args} arguments: iptables-restore accepts at most ${max}${hasCounters ? ' on a line with a [p:b] prefix' : ''} ("Parser cannot handle more arguments")`,
      lineNo,
      raw,
      toks[max + (hasCounters ? 1 : 0)]!.offset,
    );
  }
  let targets = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.type === 'opt' && VALUE_COUNTS[t.value] !== undefined) {
      const want = VALUE_COUNTS[t.value]!;
      let got = 0;
      while (toks[k + 1 + got]?.type === 'word') got++;
      if (got !== want) {
        const words = toks
          .slice(k + 1, k + 1 + got)
          .map((x) => x.text)
          .join(' ');
        const what = RAW_VALUE_NAMES[t.value];
        const reason =
          what !== undefined && got > want
            ? `${t.value} takes ${want === 1 ? 'one' : want} word${want === 1 ? '' : 's'}, found ${got} (\`${words}\`): ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} with a blank in it, which iptables-save prints raw and iptables-restore cannot read back ("Bad argument")`
            : FREE_TEXT_OPTIONS.has(t.value) && got > want
              ? `${t.value} takes one word, found ${got} (\`${raw.slice(toks[k + 1]!.offset, toks[k + got]!.offset + toks[k + got]!.text.length)}\`): both restore tools reject the second ("Bad argument"); only double quotes group words (not single quotes or a backslash), and a closing quote ends the word: write the whole text in one pair of double quotes`
              : `${t.value} takes ${want} value${want === 1 ? '' : 's'}, found ${got}${got > 0 ? ` (\`${words}\`)` : ''}`;
        fail(reason, lineNo, raw, toks[k + 1 + Math.min(got, want)]?.offset ?? t.offset);
      }
    }
    if (t.type === 'opt') {
      const v = t.value;
      if (v.charCodeAt(1) !== 45 /* - */ && v.length > 2) {
        fail(
          `attached short option \`${v}\`: write \`${v.slice(0, 2)} ${v.slice(2)}\` (iptables-restore misreads the attached form)`,
          lineNo,
          raw,
          t.offset,
        );
      }
      if (v === '-t' || v === '--table')
        fail(
          '-t cannot be used inside iptables-restore input: the table comes from the *table line',
          lineNo,
          raw,
          t.offset,
        );
    } else if (t.type === 'jump' || t.type === 'goto') {
      if (++targets > 1) fail('a second -j/-g: a rule has one target', lineNo, raw, t.offset);
    }
  }
}

function statement(
  shape: Extract<LineShape, { kind: 'rule' | 'command' }>,
  toks: Token[],
  raw: string,
  lineNo: number,
  fail: Fail,
  cached: boolean,
): Statement {
  const chainTok = shape.chain >= 0 ? toks[shape.chain] : undefined;
  if (chainTok) checkChainName(chainTok.value, raw, lineNo, chainTok.offset, fail);
  const counters = shape.counters >= 0 ? countersFrom(toks[shape.counters]!.value) : undefined;
  if (shape.kind === 'rule') return new (cached ? ParsedRule : PlainParsedRule)(raw, lineNo, chainTok!.value);
  const opTok = toks[shape.op]!;
  const word = commandOfToken(opTok.type)!;
  const refused = counters && countersProblem(word);
  if (refused) fail(refused, lineNo, raw, 0);
  const cmd: Mutable<Command> = {
    kind: 'command',
    op: word.op as CommandOp,
    flag: opTok.value,
    args: shape.args.map((i) => toks[i]!.value),
  };
  if (chainTok) cmd.chain = chainTok.value;
  if (shape.spec) cmd.spec = specFrom(shape.spec, toks);
  if (counters) cmd.counters = counters;
  return new SourcedNode(cmd, raw, lineNo) as unknown as Command;
}

/** One line: "expected X, found Y", with the specific cases iptables users actually hit. */
function explainShapeError(e: ShapeError, toks: Token[], inTable: boolean): string {
  const found = toks[e.index];
  const prev = toks[e.index - 1];
  const before = toks[e.index - 2];
  if (found?.type === 'word' && prev?.type === 'bang' && before?.type === 'opt') {
    return `infix negation \`${before.value} ! ${found.value}\` is not accepted by iptables 1.8: write \`! ${before.value} ${found.value}\``;
  }
  if (e.index === 0 && found?.value.charCodeAt(0) === 0xfeff) {
    // Editors on Windows add it; iptables-restore reads it as part of the first word and fails.
    return 'a byte order mark (U+FEFF, invisible) starts the line: iptables-restore does not skip it and fails on this line; save the file as UTF-8 without BOM';
  }
  if (e.index === 0 && found) {
    const refused = inTable ? refusedCommand(found.value) : undefined;
    if (refused !== undefined) return refused;
    const what = inTable
      ? `a command (${COMMANDS.map((c) => c.short).join(', ')}), a :CHAIN line, COMMIT or a # comment`
      : 'a *table line or a # comment';
    return `expected ${what}, found \`${found.value}\``;
  }
  const expected = e.expected.map((t) => DESCRIBE[t]);
  const foundText = found ? `\`${found.value}\`` : 'end of line';
  if (expected.length === 0) return `expected end of line, found ${foundText}`;
  return `expected ${expected.join(' or ')}, found ${foundText}`;
}

/** How far to look for the line that closes a quote left open (a value with several line breaks). */
const MAX_CONTINUATION_LINES = 50;

/**
 * The line that closes a quote left open at the end of line `index` (escape-aware, as in
 * iptables-restore: inside quotes a backslash makes the next character literal), or undefined.
 * `plausible` stops at lines that look like a new statement.
 */
function closingLine(lines: readonly string[], index: number, plausible: boolean): number | undefined {
  const last = Math.min(lines.length - 1, index + MAX_CONTINUATION_LINES);
  for (let k = index + 1; k <= last; k++) {
    const line = lines[k]!;
    if (line === 'COMMIT' || (plausible && /^(-[A-Za-z]|\[[0-9]+:[0-9]+\]|[:*#])/.test(line))) return undefined;
    for (let j = 0; j < line.length; j++) {
      const c = line.charCodeAt(j);
      if (c === 92 /* \ */) j++;
      else if (c === 34 /* " */) return k;
    }
  }
  return undefined;
}

/** The word before offset `start` (the option a value belongs to), or undefined. */
function wordBefore(raw: string, start: number): string | undefined {
  try {
    const toks = tokenize(raw.slice(0, start));
    return toks[toks.length - 1]?.value;
  } catch {
    return undefined;
  }
}

/**
 * An unterminated quote, in the words of what produced it. iptables-save quotes free-text values
 * with `"` and `\` escaped (docs/format.md#values-iptables-save-quotes), so in its output a quote that does not
 * close on its line means the value held a line break, printed raw
 * (docs/format.md#dumps-the-tools-write-but-cannot-read-back); it prints names raw
 * (docs/format.md#names-printed-raw), so a
 * quote inside a name means the name holds one. Both dumps cannot be restored.
 */
function explainLexError(e: LexError, raw: string, lines: readonly string[], index: number, firstLineNo = 1): string {
  if (!e.reason.startsWith('unterminated quote')) return e.reason;
  const q = e.offset;
  let start = q;
  while (start > 0 && raw[start - 1] !== ' ' && raw[start - 1] !== '\t') start--;
  const flag = wordBefore(raw, start);
  const atWordStart = start === q;
  const freeText = flag !== undefined && FREE_TEXT_OPTIONS.has(flag);
  const close = closingLine(lines, index, !(atWordStart && freeText));
  if (close !== undefined) {
    const value = atWordStart && flag !== undefined && flag.startsWith('-') ? `the ${flag} value` : 'the quoted value';
    return (
      `${value} opened here is closed only on line ${firstLineNo + close}: it holds a line break, which iptables-save prints raw inside the quotes, ` +
      `so the rule is split over ${close - index + 1} lines and iptables-restore cannot read it back (it fails with "Bad argument", or loads other rules); ` +
      'remove the line break from the value on the host and save again'
    );
  }
  const what = flag === undefined ? undefined : RAW_VALUE_NAMES[flag];
  if (!atWordStart && what !== undefined) {
    const word = raw.slice(start).split(/[ \t]/)[0] ?? '';
    return (
      `the ${what} after ${flag} holds a double quote (${word}): iptables-save prints ${what}s raw, without quotes, ` +
      `so iptables-restore reads this quote as opening a quoted value and takes the rest of the line, ${JSON.stringify(`${unquote(raw.slice(start))}\n`)}, ` +
      `as the ${what}: the rule fails to load or loads as another rule; rename the ${what.replace(/ name$/, '')} on the host`
    );
  }
  return e.reason;
}
