// Prints an ipset AST: lines read from a file, and still true (docs/library.md "The source-text
// rule"), as their exact text; lines built in code in the canonical form `ipset save` prints
// (create options in the type's order, add options in the order of docs/format.md#entries, comments
// always in double quotes with no escaping, docs/format.md#entry-comments), so that restore-then-save gives the
// same text back.
import { DfwError } from '../errors.js';
import type { IpsetDump, IpsetLine, IpsetOption } from './ast.js';
import { checkComment, checkRestoreLine } from './limits.js';
import { checkSetName } from './set-name.js';
import { ADD_ORDER, optionText } from './members.js';
import { SET_TYPE_INFO } from './settypes.js';
import { sourceText } from '../source.js';

function ordered(options: readonly IpsetOption[], order: readonly string[]): IpsetOption[] {
  const rank = (o: IpsetOption) => {
    const i = order.indexOf(o.name);
    return i < 0 ? order.length : i;
  };
  return [...options].sort((a, b) => rank(a) - rank(b));
}

function words(parts: string[], options: readonly IpsetOption[]): number {
  return parts.length + options.reduce((n, o) => n + (o.value === undefined ? 1 : 2), 0);
}

/** Why a line built in code could not be read back by ipset restore, or undefined. */
function problem(line: IpsetLine, text: string): string | undefined {
  if (line.kind === 'blank' || line.kind === 'commit') return undefined;
  if (line.kind === 'comment')
    return /[\n\r]/.test(line.text) ? 'a comment line must not contain a line break' : undefined;
  const names =
    line.kind === 'rename' || line.kind === 'swap' ? [line.set, line.to] : line.set === undefined ? [] : [line.set];
  for (const n of names) {
    const bad = checkSetName(n);
    if (bad !== undefined) return bad;
  }
  let count = 1 + (line.exist ? 1 : 0) + names.length;
  if (line.kind === 'create' || line.kind === 'add' || line.kind === 'del' || line.kind === 'test') {
    const first = line.kind === 'create' ? line.type : line.entry;
    if (first === '' || /[\s"]/.test(first))
      return `${JSON.stringify(first)} cannot be written on an ipset restore line`;
    count = words(['cmd', ...(line.exist ? ['-exist'] : []), line.set, first], line.options);
    for (const o of line.options) {
      if (o.name === 'comment' && line.kind !== 'create') {
        const bad = checkComment(o.value ?? '');
        if (bad !== undefined) return bad;
      } else if (o.value !== undefined && (o.value === '' || /[\s"]/.test(o.value))) {
        return `${o.name} value ${JSON.stringify(o.value)} cannot be written on an ipset restore line`;
      }
    }
  }
  return checkRestoreLine(text, count);
}

/** The canonical text of a line, whether or not it was read from a file. */
export function canonicalLine(line: IpsetLine): string {
  const exist = 'exist' in line && line.exist ? ' -exist' : '';
  switch (line.kind) {
    case 'blank':
      return '';
    case 'comment':
      return line.text;
    case 'commit':
      return 'COMMIT';
    case 'create': {
      const opts = ordered(line.options, SET_TYPE_INFO[line.type].create).map(optionText);
      return [`create${exist}`, line.set, line.type, ...opts].join(' ');
    }
    case 'add':
    case 'del':
    case 'test':
      return [`${line.kind}${exist}`, line.set, line.entry, ...ordered(line.options, ADD_ORDER).map(optionText)].join(
        ' ',
      );
    case 'flush':
    case 'destroy':
      return line.set === undefined ? `${line.kind}${exist}` : `${line.kind}${exist} ${line.set}`;
    case 'rename':
    case 'swap':
      return `${line.kind}${exist} ${line.set} ${line.to}`;
  }
}

/**
 * One line: its source text when it is a line read from a file (a trusted, frozen node, see
 * src/source.ts), else the canonical form (checked).
 */
export function printLine(line: IpsetLine): string {
  const source = sourceText(line);
  if (source !== undefined) return source;
  const text = canonicalLine(line);
  const bad = problem(line, text);
  if (bad !== undefined)
    throw new DfwError(`cannot write "${text.slice(0, 80)}${text.length > 80 ? '…' : ''}" for ipset restore: ${bad}`);
  return text;
}

/** The whole dump; `printIpset(parseIpset(x, f)) === x` byte for byte (example: `printIpset(dump)`). */
export function printIpset(d: IpsetDump): string {
  if (d.lines.length === 0) return '';
  return d.lines.map(printLine).join('\n') + (d.finalNewline ? '\n' : '');
}
