// The AST of an `ipset save` dump or `ipset restore` file: one node per line, plain data.
// Lines read from a file keep their exact text (`source`), so that printing an untouched dump
// gives back the input byte for byte; lines built in code have no `source` and print in the
// canonical form `ipset save` uses (src/ipset/print.ts).
import type { SetTypeName } from './settypes.js';

/** Where a line came from: its exact text (without the `\n`, with a `\r` if the file had one). */
export interface LineSource {
  text: string;
  /** 1-based line number. */
  line: number;
}

/** An option after the set type (create) or after the element (add/del/test). */
export interface IpsetOption {
  /** Canonical name: `timeout` for `--timeout`; `family` for `-4` / `-6`. */
  name: string;
  /** The value with quotes removed; absent for flags (`counters`, `nomatch`...). */
  value?: string;
}

interface Base {
  source?: LineSource;
}

/** Commands may carry `-exist` (or `-!`), which ipset takes from anywhere on the line. */
interface CommandBase extends Base {
  exist: boolean;
}

export interface BlankLine extends Base {
  kind: 'blank';
}

export interface CommentLine extends Base {
  kind: 'comment';
  /** The text from the `#` on. */
  text: string;
}

export interface CommitLine extends Base {
  kind: 'commit';
}

export interface CreateLine extends CommandBase {
  kind: 'create';
  set: string;
  type: SetTypeName;
  options: IpsetOption[];
}

export interface EntryLine extends CommandBase {
  kind: 'add' | 'del' | 'test';
  set: string;
  /** The element as written (`10.0.0.1/32`, `80`); src/ipset/members.ts gives its stored form. */
  entry: string;
  options: IpsetOption[];
}

/** `flush` / `destroy`, of one set or (without a name) of every set. */
export interface SetsLine extends CommandBase {
  kind: 'flush' | 'destroy';
  set?: string;
}

export interface PairLine extends CommandBase {
  kind: 'rename' | 'swap';
  set: string;
  to: string;
}

export type CommandLine = CreateLine | EntryLine | SetsLine | PairLine;
export type IpsetLine = BlankLine | CommentLine | CommitLine | CommandLine;

export interface IpsetDump {
  /** The file name used in messages. */
  file: string;
  lines: IpsetLine[];
  /** Whether the last line ended with `\n` (an empty dump has no lines and no newline). */
  finalNewline: boolean;
}

// Builders for lines made in code (no source: printed in canonical form).

export function createLine(set: string, type: SetTypeName, options: IpsetOption[] = [], exist = false): CreateLine {
  return { kind: 'create', exist, set, type, options };
}

export function entryLine(
  kind: EntryLine['kind'],
  set: string,
  entry: string,
  options: IpsetOption[] = [],
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

export function dump(file: string, lines: IpsetLine[]): IpsetDump {
  return { file, lines, finalNewline: lines.length > 0 };
}

/** The value of the first option with this name, `true` for a flag, or undefined. */
export function optionValue(options: readonly IpsetOption[], name: string): string | true | undefined {
  const o = options.find((x) => x.name === name);
  if (o === undefined) return undefined;
  return o.value ?? true;
}
