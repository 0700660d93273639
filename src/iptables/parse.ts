// The iptables dump parser: splits lines, parses each with the nearley grammar (through
// the shape cache), tracks the table context, and reports errors where iptables-restore
// would fail or would silently do something other than what the text says.
import { DfwSyntaxError, syntaxErrorAt } from '../errors.js';
import {
  BUILTIN_CHAINS,
  TABLES,
  type ChainDecl,
  type Command,
  type CommandOp,
  type Counters,
  type IptablesDump,
  type Rule,
  type RuleSpec,
  type Statement,
  type Table,
  type TableName,
} from './ast.js';
import { LexError, tokenizeFast as tokenize, unquote, type Token, type TokenType } from './lexer.js';
import { countersFrom, specFrom } from './materialize.js';
import { newScan, scanKey, scanLine, scanMatches, type Scan } from './scan.js';
import { AmbiguityError, ShapeCache, ShapeError, parseShape, type LineShape } from './shape.js';

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
/** MAX_ARGC 255 less `prog -t table` and the NULL slot (FORMAT.md 2.3). */
export const MAX_ARGS = 251;
/** With `--counters`, a `[p:b]` prefix becomes `--set-counters P B`: three more slots. */
export const MAX_ARGS_WITH_COUNTERS = 248;
/** XT_EXTENSION_MAXNAMELEN 29 including the NUL. */
export const MAX_CHAIN_NAME = 28;

const sharedCache = new ShapeCache();

const COMMAND_OPS: Partial<Record<TokenType, CommandOp>> = {
  insert: 'insert', check: 'check', del: 'delete', replace: 'replace', newchain: 'newchain',
  delchain: 'delchain', flush: 'flush', zero: 'zero', policy: 'policy', rename: 'rename',
};

const DESCRIBE: Record<TokenType, string> = {
  comment: 'a # comment', table: 'a *table line', colon: 'a :CHAIN line', counters: '[packets:bytes]',
  commit: 'COMMIT', word: 'a value', bang: '`!`', opt: 'an option', match: '-m MATCH', jump: '-j TARGET',
  goto: '-g CHAIN', append: '-A', insert: '-I', del: '-D', replace: '-R', check: '-C', newchain: '-N',
  delchain: '-X', flush: '-F', zero: '-Z', policy: '-P', rename: '-E',
};

/** A rule parsed from text. Its details are parsed again on first use, so that a dump of a
 *  million rules holds one small object per line rather than a tree per line. */
class ParsedRule implements Rule {
  // Set on the prototype, not per instance (see below): one field less on a million objects.
  declare readonly kind: 'rule';
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
      if (shape.kind !== 'rule' || shape.spec === null) throw new Error(`internal: line ${this.line} is no longer a rule`);
      this.parsedSpec = specFrom(shape.spec, toks);
    }
    return this.parsedSpec;
  }

  protected shapeOf(toks: Token[]): LineShape {
    return sharedCache.get(toks);
  }

  toJSON(): object {
    const counters = this.counters;
    return { kind: this.kind, chain: this.chain, ...(counters ? { counters } : {}), spec: this.spec, raw: this.raw, line: this.line };
  }
}
Object.defineProperty(ParsedRule.prototype, 'kind', { value: 'rule', enumerable: true });

/** The plain path: a fresh nearley parse for the details too. */
class PlainParsedRule extends ParsedRule {
  protected override shapeOf(toks: Token[]): LineShape {
    return parseShape(toks);
  }
}

/** Parses an iptables-save dump (or iptables-restore input). Throws DfwSyntaxError. */
export function parseIptables(text: string, options: ParseOptions = {}): IptablesDump {
  const file = options.file ?? '<input>';
  const useCache = options.cache !== false;
  const lines = text.split('\n');
  const finalNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (finalNewline || text === '') lines.pop();

  const dump: IptablesDump = { kind: 'iptables', items: [], finalNewline };
  let table: Table | undefined;
  const scan = newScan();
  // Chain names repeat on every rule: keep one string per name.
  const chainNames = new Map<string, string>();
  let lastChain = '';
  const fail = (reason: string, lineNo: number, source: string, offset: number): never => {
    throw syntaxErrorAt(reason, file, lineNo, source, offset);
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;

    checkLineText(raw, lineNo, fail);
    if (raw === '') {
      (table ? table.body : dump.items).push({ kind: 'blank', raw, line: lineNo });
      continue;
    }
    if (raw.charCodeAt(0) === 35 /* # */) {
      if (lineNo <= 2 && table === undefined && dump.family === undefined) {
        if (raw.startsWith('# Generated by ip6tables')) dump.family = 6;
        else if (raw.startsWith('# Generated by iptables')) dump.family = 4;
      }
      (table ? table.body : dump.items).push({ kind: 'comment', text: raw, raw, line: lineNo });
      continue;
    }

    // Fast path: a plain rule line whose shape is already known (see scan.ts).
    if (useCache && table !== undefined && scanLine(raw, scan)) {
      const shape = shapeOfScan(scan);
      if (shape !== undefined && shape.kind === 'rule') {
        const hasCounters = shape.counters >= 0;
        const c = shape.chain;
        const from = scan.start[c]!;
        const len = scan.end[c]! - from;
        // Consecutive rules mostly share their chain: reuse its name without slicing.
        let name: string;
        if (!scan.quoted[c] && len === lastChain.length && raw.startsWith(lastChain, from)) name = lastChain;
        else {
          const text = raw.slice(from, from + len);
          name = scan.quoted[c] ? unquote(text) : text;
          name = chainNames.get(name) ?? (chainNames.set(name, name), name);
        }
        const first = name.charCodeAt(0);
        if (scan.n - (hasCounters ? 1 : 0) <= (hasCounters ? MAX_ARGS_WITH_COUNTERS : MAX_ARGS) && name.length <= MAX_CHAIN_NAME && first !== 45 && first !== 33) {
          lastChain = name;
          table.body.push(new ParsedRule(raw, lineNo, name));
          continue;
        }
      }
    }

    if (useCache && table !== undefined && raw.charCodeAt(0) === 58 /* : */) {
      const parts = plainDecl(raw);
      if (parts !== undefined) {
        table.body.push(chainDecl(table, parts, raw, lineNo, fail));
        continue;
      }
    }

    let toks: Token[];
    try {
      toks = tokenize(raw);
    } catch (e) {
      if (e instanceof LexError) fail(e.reason, lineNo, raw, e.offset);
      throw e;
    }
    let shape: LineShape;
    try {
      shape = useCache ? sharedCache.get(toks) : parseShape(toks);
    } catch (e) {
      if (e instanceof ShapeError) fail(explainShapeError(e, toks, table !== undefined), lineNo, raw, e.index < toks.length ? toks[e.index]!.offset : raw.length);
      if (e instanceof AmbiguityError) fail(`internal error: ${e.message}`, lineNo, raw, 0);
      throw e;
    }

    switch (shape.kind) {
      case 'comment':
        throw new Error('unreachable: comments are handled before tokenizing');
      case 'table': {
        const name = toks[shape.name]!.value.slice(1);
        if (table) fail(`\`*${name}\` inside table ${table.name}: COMMIT expected first (iptables-restore reads this line as a rule and fails)`, lineNo, raw, 0);
        if (!(TABLES as readonly string[]).includes(name)) fail(`unknown table \`${name}\`: expected one of ${TABLES.join(', ')}`, lineNo, raw, 1);
        table = { kind: 'table', name: name as TableName, body: [], raw, line: lineNo };
        dump.items.push(table);
        break;
      }
      case 'commit':
        if (!table) fail('COMMIT outside a table: expected a *table line first', lineNo, raw, 0);
        if (raw !== 'COMMIT') fail('characters after COMMIT: iptables-restore accepts only `COMMIT` alone on its line', lineNo, raw, 6);
        table!.commit = { raw, line: lineNo };
        table = undefined;
        break;
      case 'chain': {
        if (!table) fail('chain line outside a table: expected a *table line first', lineNo, raw, 0);
        const nameTok = toks[shape.name]!;
        const policyTok = toks[shape.policy]!;
        const counters = shape.counters >= 0 ? toks[shape.counters]!.value : undefined;
        table!.body.push(chainDecl(table!, { name: nameTok.value, nameOffset: nameTok.offset, policy: policyTok.value, policyOffset: policyTok.offset, counters }, raw, lineNo, fail));
        break;
      }
      case 'rule':
      case 'command': {
        if (!table) fail('command outside a table: expected a *table line first', lineNo, raw, toks[0]!.offset);
        checkRuleTokens(toks, shape.counters >= 0, raw, lineNo, fail);
        table!.body.push(statement(shape, toks, raw, lineNo, fail, useCache));
        break;
      }
    }
  }
  if (table) {
    throw new DfwSyntaxError(`table ${table.name} is never committed: COMMIT expected before the end of input (iptables-restore fails with "COMMIT expected")`, {
      file,
      line: table.line!,
      column: 1,
      source: table.raw!,
    });
  }
  return dump;
}

/** Shapes by the scan's hash, checked against the key (collisions fall back to the key). */
const byHash = new Map<number, [string, LineShape]>();

function shapeOfScan(scan: Scan): LineShape | undefined {
  const hit = byHash.get(scan.hash);
  if (hit !== undefined && scanMatches(scan, hit[0])) return hit[1];
  const key = scanKey(scan);
  const shape = sharedCache.peek(key);
  if (shape !== undefined && hit === undefined) byHash.set(scan.hash, [key, shape]);
  return shape;
}

type Fail = (reason: string, lineNo: number, source: string, offset: number) => never;

/** Problems with the line's characters that iptables-restore would not report clearly. */
function checkLineText(raw: string, lineNo: number, fail: Fail): void {
  const cr = raw.indexOf('\r');
  if (cr >= 0) fail('carriage return in line (CRLF line ends?): iptables-restore does not accept them', lineNo, raw, cr);
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so only long lines need counting.
  if (raw.length * 3 > MAX_LINE_BYTES) {
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (bytes > MAX_LINE_BYTES) fail(`line is ${bytes} bytes: iptables-restore reads at most ${MAX_LINE_BYTES} bytes per line and would split it`, lineNo, raw, 0);
  }
  const c = raw.charCodeAt(0);
  if (c === 32 || c === 9) {
    const first = raw.search(/[^ \t]/);
    if (first < 0) fail('line holds only blanks: iptables-restore skips only truly empty lines and fails on this one', lineNo, raw, 0);
    if (raw[first] === '#') fail('indented comment: `#` must be in column 1, iptables-restore reads this line as a rule', lineNo, raw, first);
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
  checkChainName(d.name, raw, lineNo, d.nameOffset, fail);
  const builtin = BUILTIN_CHAINS[table.name].includes(d.name);
  const policy = d.policy;
  if (builtin && policy !== 'ACCEPT' && policy !== 'DROP' && policy !== '-') {
    fail(`bad policy \`${policy}\` for built-in chain ${d.name}: expected ACCEPT or DROP`, lineNo, raw, d.policyOffset);
  }
  if (!builtin && policy !== '-') {
    fail(`user chain ${d.name} cannot have policy \`${policy}\`: expected \`-\` (iptables-legacy-restore fails, iptables-nft-restore ignores it)`, lineNo, raw, d.policyOffset);
  }
  const decl: ChainDecl = { kind: 'chain', name: d.name, policy, raw, line: lineNo };
  if (d.counters !== undefined) decl.counters = countersFrom(d.counters);
  return decl;
}

const DECL_COUNTERS = /^\[[0-9]+:[0-9]+\]$/;

/** `:NAME POLICY [p:b]` with single spaces: the parts, when the grammar already knows this shape. */
function plainDecl(raw: string): DeclParts | undefined {
  if (raw.indexOf('\t') >= 0) return undefined;
  const a = raw.indexOf(' ');
  const b = raw.indexOf(' ', a + 1);
  if (a <= 1 || b <= a + 1 || raw.indexOf(' ', b + 1) >= 0) return undefined;
  const counters = raw.slice(b + 1);
  if (!DECL_COUNTERS.test(counters) || sharedCache.peek(':wwc')?.kind !== 'chain') return undefined;
  return { name: raw.slice(1, a), nameOffset: 1, policy: raw.slice(a + 1, b), policyOffset: a + 1, counters };
}

function checkChainName(name: string, raw: string, lineNo: number, offset: number, fail: Fail): void {
  if (name.length > MAX_CHAIN_NAME) fail(`chain name is ${name.length} characters: at most ${MAX_CHAIN_NAME}`, lineNo, raw, offset);
  if (name.startsWith('-') || name.startsWith('!')) fail(`chain name cannot start with \`${name[0]}\``, lineNo, raw, offset);
}

/** Checks on rule and command words that the grammar does not express. */
function checkRuleTokens(toks: Token[], hasCounters: boolean, raw: string, lineNo: number, fail: Fail): void {
  const args = hasCounters ? toks.length - 1 : toks.length;
  const max = hasCounters ? MAX_ARGS_WITH_COUNTERS : MAX_ARGS;
  if (args > max) {
    fail(`${args} arguments: iptables-restore accepts at most ${max}${hasCounters ? ' on a line with a [p:b] prefix' : ''} ("Parser cannot handle more arguments")`, lineNo, raw, toks[max + (hasCounters ? 1 : 0)]!.offset);
  }
  let targets = 0;
  for (const t of toks) {
    if (t.type === 'opt') {
      const v = t.value;
      if (v.charCodeAt(1) !== 45 /* - */ && v.length > 2) {
        fail(`attached short option \`${v}\`: write \`${v.slice(0, 2)} ${v.slice(2)}\` (iptables-restore misreads the attached form)`, lineNo, raw, t.offset);
      }
      if (v === '-t' || v === '--table') fail('-t cannot be used inside iptables-restore input: the table comes from the *table line', lineNo, raw, t.offset);
    } else if (t.type === 'jump' || t.type === 'goto') {
      if (++targets > 1) fail('a second -j/-g: a rule has one target', lineNo, raw, t.offset);
    }
  }
}

function statement(shape: Extract<LineShape, { kind: 'rule' | 'command' }>, toks: Token[], raw: string, lineNo: number, fail: Fail, cached: boolean): Statement {
  const chainTok = shape.chain >= 0 ? toks[shape.chain] : undefined;
  if (chainTok) checkChainName(chainTok.value, raw, lineNo, chainTok.offset, fail);
  const counters = shape.counters >= 0 ? countersFrom(toks[shape.counters]!.value) : undefined;
  if (shape.kind === 'rule') return new (cached ? ParsedRule : PlainParsedRule)(raw, lineNo, chainTok!.value);
  const opTok = toks[shape.op]!;
  const cmd: Command = {
    kind: 'command',
    op: COMMAND_OPS[opTok.type]!,
    flag: opTok.value,
    args: shape.args.map((i) => toks[i]!.value),
    raw,
    line: lineNo,
  };
  if (chainTok) cmd.chain = chainTok.value;
  if (shape.spec) cmd.spec = specFrom(shape.spec, toks);
  if (counters) cmd.counters = counters;
  return cmd;
}

/** One line: "expected X, found Y", with the specific cases iptables users actually hit. */
function explainShapeError(e: ShapeError, toks: Token[], inTable: boolean): string {
  const found = toks[e.index];
  const prev = toks[e.index - 1];
  const before = toks[e.index - 2];
  if (found?.type === 'word' && prev?.type === 'bang' && before?.type === 'opt') {
    return `infix negation \`${before.value} ! ${found.value}\` is not accepted by iptables 1.8: write \`! ${before.value} ${found.value}\``;
  }
  if (e.index === 0 && found) {
    const what = inTable
      ? 'a command (-A, -I, -D, -R, -N, -X, -F, -Z, -P, -E, -C), a :CHAIN line, COMMIT or a # comment'
      : 'a *table line or a # comment';
    return `expected ${what}, found \`${found.value}\``;
  }
  const expected = e.expected.map((t) => DESCRIBE[t]);
  const foundText = found ? `\`${found.value}\`` : 'end of line';
  if (expected.length === 0) return `expected end of line, found ${foundText}`;
  return `expected ${expected.join(' or ')}, found ${foundText}`;
}
