// Errors are values with a position, never console output: the CLI decides how to show them.

/** Any problem dfw reports about its input, policy or usage (exit code 2 in the CLI). */
export class DfwError extends Error {
  override name = 'DfwError';
}

export interface SourcePosition {
  /** File name as given by the user, or `<stdin>`. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column (in characters of the line). */
  column: number;
  /** The whole source line, without its line end. */
  source: string;
}

/** A problem at a place in an input file: prints as `file:line:col: message`, the line and a caret. */
export class DfwSyntaxError extends DfwError {
  override name = 'DfwSyntaxError';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly source: string;
  readonly reason: string;

  constructor(reason: string, pos: SourcePosition) {
    super(`${pos.file}:${pos.line}:${pos.column}: ${reason}`);
    this.reason = reason;
    this.file = pos.file;
    this.line = pos.line;
    this.column = pos.column;
    this.source = pos.source;
  }

  /** The message, the offending line and a caret under the column (as postcss's showSourceCode). */
  showSourceCode(): string {
    const visible = this.source.replace(/\t/g, ' ').replace(/\r/g, '␍');
    const shown = visible.length > 200 ? `${visible.slice(0, 200)}…` : visible;
    const caret = ' '.repeat(Math.max(0, Math.min(this.column - 1, 200))) + '^';
    return `${this.message}\n  ${shown}\n  ${caret}`;
  }
}

/** Builds a DfwSyntaxError from a 0-based character offset within a line. */
export function syntaxErrorAt(
  reason: string,
  file: string,
  lineNo: number,
  source: string,
  offset: number,
): DfwSyntaxError {
  return new DfwSyntaxError(reason, { file, line: lineNo, column: offset + 1, source });
}
