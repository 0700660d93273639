// The AST of an `ipset save` dump or `ipset restore` file: one node per line, read-only data.
// Lines read from a file are frozen and keep their exact text (`source`, with a `\r` if the file
// had one), so that printing an untouched dump gives back the input byte for byte; lines built
// in code, and edited copies (editIpsetLine), have no `source` and print in the canonical form
// `ipset save` uses (src/ipset/print.ts; docs/library.md "The source-text rule").
import type { SourceText } from '../source.js';
import type { SetTypeName } from './settypes.js';

export type { SourceText } from '../source.js';

/** An option after the set type (create) or after the element (add/del/test). */
export interface IpsetOption {
  /** Canonical name: `timeout` for `--timeout`; `family` for `-4` / `-6`. */
  readonly name: string;
  /** The value with quotes removed; absent for flags (`counters`, `nomatch`...). */
  readonly value?: string;
}

interface Base {
  /** The line the node was read from; absent on lines built in code and on edited copies. */
  readonly source?: SourceText;
}

/** Commands may carry `-exist` (or `-!`), which ipset takes from anywhere on the line. */
interface CommandBase extends Base {
  readonly exist: boolean;
}

export interface BlankLine extends Base {
  readonly kind: 'blank';
}

export interface CommentLine extends Base {
  readonly kind: 'comment';
  /** The text from the `#` on. */
  readonly text: string;
}

export interface CommitLine extends Base {
  readonly kind: 'commit';
}

export interface CreateLine extends CommandBase {
  readonly kind: 'create';
  readonly set: string;
  readonly type: SetTypeName;
  readonly options: readonly IpsetOption[];
}

export interface EntryLine extends CommandBase {
  readonly kind: 'add' | 'del' | 'test';
  readonly set: string;
  /** The element as written (`10.0.0.1/32`, `80`); src/ipset/members.ts gives its stored form. */
  readonly entry: string;
  readonly options: readonly IpsetOption[];
}

/** `flush` / `destroy`, of one set or (without a name) of every set. */
export interface SetsLine extends CommandBase {
  readonly kind: 'flush' | 'destroy';
  readonly set?: string;
}

export interface PairLine extends CommandBase {
  readonly kind: 'rename' | 'swap';
  readonly set: string;
  readonly to: string;
}

export type CommandLine = CreateLine | EntryLine | SetsLine | PairLine;
export type IpsetLine = BlankLine | CommentLine | CommitLine | CommandLine;

export interface IpsetDump {
  readonly kind: 'ipset';
  /** The file name used in messages. */
  readonly file: string;
  readonly lines: readonly IpsetLine[];
  /** Whether the last line ended with `\n` (an empty dump has no lines and no newline). */
  readonly finalNewline: boolean;
}

// Builders for lines made in code (no source: printed in canonical form).

export function createLine(
  set: string,
  type: SetTypeName,
  options: readonly IpsetOption[] = [],
  exist = false,
): CreateLine {
  return { kind: 'create', exist, set, type, options };
}

export function entryLine(
  kind: EntryLine['kind'],
  set: string,
  entry: string,
  options: readonly IpsetOption[] = [],
  exist = false,
): EntryLine {
  return { kind, exist, set, entry, options };
}

export function setsLine(kind: SetsLine['kind'], set?: string, exist = false): SetsLine {
  return set === undefined ? { kind, exist } : { kind, exist, set };
}

export function pairLine(kind: PairLine['kind'], set: string, to: string, exist = false): PairLine {
  return { kind, exist, set, to };
}

export function commentLine(text: string): CommentLine {
  return { kind: 'comment', text: text.startsWith('#') ? text : `# ${text}` };
}

export function dump(file: string, lines: readonly IpsetLine[]): IpsetDump {
  return { kind: 'ipset', file, lines, finalNewline: lines.length > 0 };
}

/** The fields a line of this kind may change (all but `kind`). */
type Changes<L> = L extends IpsetLine ? Partial<Omit<L, 'kind' | 'source'>> : never;

/**
 * An edited copy of a line, without its source (it no longer says what the line says), printed
 * canonically: `editIpsetLine(add, { entry: '192.0.2.9' })`. Lines read from text are frozen.
 */
export function editIpsetLine<L extends IpsetLine>(line: L, changes: Changes<L>): L {
  // Own fields only: a parsed line keeps its source in a private field, which a spread drops
  // (and a hand-made `source` field is dropped here).
  const { source: _source, ...fields } = { ...line, ...changes } as L & { source?: unknown };
  return fields as unknown as L;
}

/** The value of the first option with this name, `true` for a flag, or undefined. */
export function optionValue(options: readonly IpsetOption[], name: string): string | true | undefined {
  const o = options.find((x) => x.name === name);
  if (o === undefined) return undefined;
  return o.value ?? true;
}
