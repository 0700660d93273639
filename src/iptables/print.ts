// Prints an iptables AST: parsed lines as their source text, nodes built in code in the
// canonical form iptables-save prints (docs/format.md#order-of-the-parts-of-a-rule, docs/format.md#quoting). Which lines
// are still true is decided by sourceText alone (docs/library.md "The source-text rule").
import { DfwError } from '../errors.js';
import type { ChainDecl, Command, Counters, IptablesDump, Option, Rule, RuleSpec, Statement, Table } from './ast.js';
import { MAX_ARGS, MAX_LINE_BYTES } from './parse.js';
import { commandOf, countersProblem } from './commands.js';
import { quoteValue } from './quote.js';
import { RULE_OPTIONS } from './rule-options.js';
import { tableBodyText } from './parsed.js';
import { sourceText } from '../source.js';

function printOption(section: string, o: Option, flag = o.flag): string {
  let s = o.negated ? `! ${flag}` : flag;
  for (const v of o.values) s += ` ${quoteValue(section, flag, v)}`;
  return s;
}

/** The rule-spec part of a line (everything after `-A CHAIN`), canonical. */
export function printSpec(spec: RuleSpec): string {
  const parts: string[] = [];
  const own = spec.options
    .map((o, i) => ({ o, i, info: RULE_OPTIONS.get(o.flag) }))
    .sort((a, b) => (a.info?.order ?? 9) - (b.info?.order ?? 9) || a.i - b.i);
  for (const { o, info } of own) {
    if (info?.order === undefined)
      throw new DfwError(`${o.flag} is not an option of the rule itself: put it under its -m match or -j target`);
    parts.push(printOption('', o, info.flag));
  }
  for (const m of spec.matches) {
    parts.push(`-m ${quoteValue('', '-m', m.name)}`);
    for (const o of m.options) parts.push(printOption(m.name, o));
  }
  const t = spec.target;
  if (t !== undefined) {
    parts.push(`${t.kind === 'goto' ? '-g' : '-j'} ${quoteValue('', '-j', t.name)}`);
    if (t.kind === 'goto' && t.options.length > 0) throw new DfwError('-g CHAIN takes no options');
    for (const o of t.options) parts.push(printOption(t.name, o));
  }
  return parts.join(' ');
}

function countersPrefix(c: Counters | undefined): string {
  return c === undefined ? '' : `[${c.packets}:${c.bytes}] `;
}

/** Checks the limits of iptables-restore on a line dfw writes (docs/format.md#limits-of-iptables-restore). */
function checkLine(line: string): string {
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > MAX_LINE_BYTES)
    throw new DfwError(`a generated line is ${bytes} bytes: iptables-restore reads at most ${MAX_LINE_BYTES}`);
  return line;
}

export function printRule(r: Rule): string {
  const source = sourceText(r);
  if (source !== undefined) return source;
  if (r.spec === undefined)
    throw new DfwError(`a rule of chain ${r.chain} has no spec (a copy of a parsed rule: use editRule)`);
  const spec = printSpec(r.spec);
  const line = `${countersPrefix(r.counters)}-A ${quoteValue('', '-A', r.chain)}${spec ? ` ${spec}` : ''}`;
  if (countArgs(r) > MAX_ARGS)
    throw new DfwError(`a generated rule has more than ${MAX_ARGS} arguments: iptables-restore cannot read it`);
  return checkLine(line);
}

/** Words iptables-restore will see on the line (`-A CHAIN`, flags, `!`, values). */
function countArgs(r: Rule): number {
  const words = (os: readonly Option[]): number =>
    os.reduce((a, o) => a + 1 + (o.negated ? 1 : 0) + o.values.length, 0);
  let n = 2 + words(r.spec.options);
  for (const m of r.spec.matches) n += 2 + words(m.options);
  if (r.spec.target) n += 2 + words(r.spec.target.options);
  return n;
}

export function printChainDecl(c: ChainDecl): string {
  const source = sourceText(c);
  if (source !== undefined) return source;
  if (/[\s]/.test(c.name) || c.name === '')
    throw new DfwError(`chain name ${JSON.stringify(c.name)} is empty or holds a blank`);
  const k = c.counters ?? { packets: '0', bytes: '0' };
  return `:${c.name} ${c.policy} [${k.packets}:${k.bytes}]`;
}

export function printCommand(c: Command): string {
  const source = sourceText(c);
  if (source !== undefined) return source;
  const word = commandOf(c.op);
  const refused = c.counters && countersProblem(word);
  if (refused) throw new DfwError(refused);
  const parts = [word.short];
  if (c.chain !== undefined) parts.push(quoteValue('', parts[0]!, c.chain));
  for (const a of c.args) parts.push(quoteValue('', parts[0]!, a));
  if (c.spec) {
    const s = printSpec(c.spec);
    if (s) parts.push(s);
  }
  return checkLine(countersPrefix(c.counters) + parts.join(' '));
}

export function printStatement(s: Statement): string {
  switch (s.kind) {
    case 'comment': {
      const source = sourceText(s);
      if (source !== undefined) return source;
      if (/[\r\n]/.test(s.text)) throw new DfwError('a comment line cannot hold a line break');
      if (!s.text.startsWith('#')) throw new DfwError('a comment line starts with #');
      return s.text;
    }
    case 'blank':
      return '';
    case 'chain':
      return printChainDecl(s);
    case 'rule':
      return printRule(s);
    case 'command':
      return printCommand(s);
  }
}

function printTable(t: Table, out: LineSink): void {
  out.line(sourceText(t) ?? `*${t.name}`);
  // A parsed table prints its body's source text without building (or visiting) nodes.
  const body = tableBodyText(t);
  if (body !== undefined) out.lines(body);
  else for (const s of t.body) out.line(printStatement(s));
  // The parser takes only `COMMIT` itself, so the line never needs its source.
  out.line('COMMIT');
}

/** Collects printed lines and hands them on in chunks, so a big dump is never one string. */
class LineSink {
  private buf: string[] = [];
  count = 0;

  constructor(
    private readonly emit: (chunk: string) => void,
    private readonly chunkLines: number,
  ) {}

  line(text: string): void {
    if (this.count++ > 0) this.buf.push('\n');
    this.buf.push(text);
    if (this.buf.length >= this.chunkLines) this.flush();
  }

  /** A long text that is one or more whole lines, handed on in pieces of about `size`. */
  lines(text: string, size = 1 << 20): void {
    if (this.count++ > 0) this.buf.push('\n');
    for (let i = 0; i < text.length; i += size) {
      this.buf.push(text.slice(i, i + size));
      this.flush();
    }
  }

  flush(): void {
    if (this.buf.length > 0) this.emit(this.buf.join(''));
    this.buf = [];
  }
}

/**
 * Prints the dump as a sequence of chunks whose concatenation is `printIptables(dump)`;
 * a dump of a million lines goes to a file or a pipe without being built as one string.
 */
export function printIptablesChunks(dump: IptablesDump, emit: (chunk: string) => void, chunkLines = 16384): void {
  const out = new LineSink(emit, chunkLines);
  for (const item of dump.items) {
    if (item.kind === 'table') printTable(item, out);
    else out.line(printStatement(item));
  }
  if (out.count > 0 && dump.finalNewline) out.line('');
  out.flush();
}

/**
 * The whole dump as text, ready for iptables-restore: `printIptables(parseIptables(x)) === x`
 * for every dump parse accepts; nodes built in code print as iptables-save prints them.
 *
 *   printIptables({ kind: 'iptables', finalNewline: true, items: [table('filter', [chain('INPUT', 'ACCEPT'), rule('INPUT', { target: jump('ACCEPT') })])] })
 *   // '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n'
 */
export function printIptables(dump: IptablesDump): string {
  const parts: string[] = [];
  printIptablesChunks(dump, (c) => parts.push(c));
  return parts.join('');
}
