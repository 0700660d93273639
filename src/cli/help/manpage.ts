// dfw(1), in roff (man 7 man), from the commands' declarations (declarations.ts) and the words
// that `dfw --help` shows too (text.ts). scripts/man.mjs writes it at build time.
import {
  declarationOf,
  flagsOf,
  GLOBAL_OPTIONS,
  valueKind,
  type CommandDecl,
  type OptionDecl,
} from './declarations.js';
import { DESCRIPTION, DESCRIPTION_MORE, EXIT_CODES, FILES, SEE_ALSO, SUMMARY } from './text.js';
import type { CommandModule } from 'yargs';

/** Text for roff: backslashes escaped, a leading dot or quote made literal, hyphens as minus signs in flags. */
export function roff(text: string): string {
  const escaped = text.replace(/\\/g, '\\e').replace(/-/g, '\\-');
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

const bold = (s: string): string => `\\fB${roff(s)}\\fR`;
const italic = (s: string): string => `\\fI${roff(s)}\\fR`;

/** `[file]` → FILE, `<a>` → A: the man page writes a positional in capitals, as --help's FILE. */
function argWords(args: string): string {
  return args.replace(/[[<]([\w-]+)[\]>]/g, (m, w: string) =>
    m.startsWith('[') ? `[${w.toUpperCase()}]` : w.toUpperCase(),
  );
}

function optionDetail(o: OptionDecl): string {
  const facts: string[] = [];
  if (o.choices !== undefined) facts.push(`one of: ${o.choices.join(', ')}`);
  if (o.default !== undefined && o.default !== false) facts.push(`default: ${String(o.default)}`);
  if (o.type === 'boolean' && o.default === true) facts.push(`--no-${o.name} turns it off`);
  if (o.array && !/repeatable/.test(o.describe)) facts.push('repeatable');
  if (o.required) facts.push('required');
  return facts.length > 0 ? ` (${facts.join('; ')})` : '';
}

/** The word after a flag in the page: what the option takes. */
function valueWord(o: OptionDecl): string {
  const v = valueKind(o);
  if (v.kind === 'flag') return '';
  if (v.kind === 'words') return v.words.join('|');
  if (v.kind === 'none') return o.type === 'number' ? 'N' : 'VALUE';
  return v.kind === 'dir' ? 'DIR' : 'FILE';
}

function optionItem(o: OptionDecl, positional = false): string[] {
  const value = valueWord(o);
  const flags = flagsOf(o)
    .map((f) => bold(f))
    .join(', ');
  const head = positional ? italic(o.name.toUpperCase()) : `${flags}${value ? ` ${italic(value)}` : ''}`;
  return ['.TP', head, roff(`${o.describe}${optionDetail(o)}`)];
}

function commandSection(c: CommandDecl): string[] {
  const title = `dfw ${c.name}${c.args ? ` ${argWords(c.args)}` : ''}`;
  const lines = [`.SS "${roff(title)}"`, roff(c.describe), '.RS'];
  for (const p of c.positionals) lines.push(...optionItem(p, true));
  for (const o of c.options) lines.push(...optionItem(o));
  for (const e of c.epilogue) lines.push('.PP', roff(e));
  lines.push('.RE');
  return lines;
}

function examples(decls: CommandDecl[]): string[] {
  const lines: string[] = [];
  for (const c of decls)
    for (const e of c.examples) lines.push('.PP', `${roff(e.describe)}:`, '.RS', '.EX', roff(e.command), '.EE', '.RE');
  return lines;
}

export interface ManOptions {
  version: string;
  /** YYYY-MM-DD: the build's date, for .TH. */
  date: string;
}

/** The whole page. */
export function manPage(commands: readonly CommandModule<object, unknown>[], opts: ManOptions): string {
  const decls = commands.map(declarationOf);
  const lines = [
    `.TH DFW 1 "${opts.date}" "dfw ${roff(opts.version)}" "User Commands"`,
    '.SH NAME',
    `dfw \\- ${roff(SUMMARY)}`,
    '.SH SYNOPSIS',
    ...decls.flatMap((c) => [
      '.B dfw',
      `${bold(c.name)}${c.args ? ` ${roff(argWords(c.args))}` : ''} [\\fIOPTIONS\\fR]`,
      '.br',
    ]),
    '.B dfw',
    '\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR',
    '.SH DESCRIPTION',
    roff(DESCRIPTION),
    ...DESCRIPTION_MORE.flatMap((p) => ['.PP', roff(p)]),
    '.SH COMMANDS',
    ...decls.flatMap(commandSection),
    '.SH OPTIONS',
    'These go with every command, and with \\fBdfw\\fR alone.',
    ...GLOBAL_OPTIONS.flatMap((o) => optionItem(o)),
    '.SH EXIT STATUS',
    ...EXIT_CODES.flatMap((e) => ['.TP', bold(String(e.code)), roff(e.meaning)]),
    '.SH FILES',
    ...FILES.flatMap((f) => ['.TP', italic(f.path), roff(f.text)]),
    '.SH EXAMPLES',
    ...examples(decls),
    '.SH SEE ALSO',
    SEE_ALSO.map((s) => bold(s.replace(/\(.*/, '')) + s.slice(s.indexOf('('))).join(', '),
  ];
  return `${lines.join('\n')}\n`;
}
