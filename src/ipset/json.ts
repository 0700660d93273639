// The JSON form of an ipset dump (`dfw parse`, `dfw fmt --from-json`), version 2 (1 is read
// too: its lines had the same shape). The reader trusts no source: a line whose `source` text
// parses back to the line's own fields is the parser's line (frozen, printing as that text); an
// edited or added line is printed canonically and must read back, through the grammar, as the
// same line.
import { isDeepStrictEqual } from 'node:util';
import { DfwError } from '../errors.js';
import { JSON_VERSION } from '../iptables/json.js';
import { deepFreeze, relocated } from '../source.js';
import type { IpsetDump, IpsetLine } from './ast.js';
import { parseIpset } from './parse.js';
import { canonicalLine, printLine } from './print.js';

/** The version `dfw parse` writes: one for both formats. */
export const IPSET_JSON_VERSION = JSON_VERSION;
const READS = [1, 2];

export function ipsetToJson(dump: IpsetDump): object {
  return JSON.parse(
    JSON.stringify({ version: IPSET_JSON_VERSION, kind: 'ipset', lines: dump.lines, finalNewline: dump.finalNewline }),
  );
}

/** The fields that make a line what it is (not where it came from), as plain data. */
function fields(line: object): object {
  const { source: _source, ...rest } = { ...line } as { source?: unknown };
  return JSON.parse(JSON.stringify(rest));
}

function readLine(text: string, where: string): IpsetLine {
  let d: IpsetDump;
  try {
    d = parseIpset(text, where);
  } catch (e) {
    throw new DfwError(`${where}: ${(e as Error).message.replace(/^[^ ]*: /, '')}`);
  }
  const line = d.lines[0];
  if (d.lines.length !== 1 || line === undefined) throw new DfwError(`${where}: expected one line`);
  return line;
}

/** The claimed source of a JSON line, when it is a line of text with a line number. */
function claimedSource(node: { source?: unknown }): { text: string; line: number } | undefined {
  const s = node.source;
  if (typeof s !== 'object' || s === null) return undefined;
  const { text, line } = s as { text?: unknown; line?: unknown };
  if (typeof text !== 'string' || /[\r\n]/.test(text)) return undefined;
  return typeof line === 'number' && Number.isSafeInteger(line) && line >= 1 ? { text, line } : undefined;
}

function readJsonLine(raw: unknown, i: number): IpsetLine {
  const where = `lines[${i}]`;
  if (typeof raw !== 'object' || raw === null) throw new DfwError(`${where}: expected an object`);
  const source = claimedSource(raw);
  if (source !== undefined) {
    // Unchanged since `dfw parse`: the parser's line, with its own line number.
    const parsed = readLine(source.text, `${where}.source`);
    if (isDeepStrictEqual(fields(parsed), fields(raw))) return relocated(parsed, source.line);
  }
  let text: string;
  try {
    text = canonicalLine(fields(raw) as IpsetLine);
  } catch {
    throw new DfwError(`${where}: not a valid ipset line (kind, set, type, entry, options)`);
  }
  const back = readLine(text, where);
  if (!isDeepStrictEqual(fields(back), fields(raw))) {
    throw new DfwError(
      `${where}: not a valid ipset line: it would be written as ${JSON.stringify(text)}, which reads back differently`,
    );
  }
  const edited = fields(back) as IpsetLine;
  printLine(edited); // the limits of ipset restore (names, comments, line length)
  return edited;
}

/** Reads the JSON form back into a dump (frozen, like a parsed one); errors name the JSON path. */
export function ipsetFromJson(value: unknown, file: string): IpsetDump {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DfwError('(top): expected an object');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['version', 'kind', 'lines', 'finalNewline', 'file'].includes(k)) throw new DfwError(`${k}: unknown field`);
  if (!READS.includes(o.version as number))
    throw new DfwError(`version: expected ${IPSET_JSON_VERSION} (or 1, the older form)`);
  if (!Array.isArray(o.lines)) throw new DfwError('lines: expected an array');
  const lines = o.lines.map(readJsonLine);
  checkAsText(lines);
  const finalNewline = o.finalNewline === undefined ? lines.length > 0 : o.finalNewline === true;
  return deepFreeze({ kind: 'ipset', file, lines, finalNewline });
}

/**
 * The checks the text parser makes across lines (issue 22): an entry against its set's type
 * (`add s not-an-ip` to a hash:ip set), a set created twice, an add to a set never created. The
 * lines are printed and read as one dump; a problem is reported at the line's JSON path.
 */
function checkAsText(lines: readonly IpsetLine[]): void {
  const text = lines.map((l) => `${printLine(l)}\n`).join('');
  try {
    parseIpset(text, 'json');
  } catch (e) {
    const line = (e as { line?: number }).line;
    const where = line === undefined ? '(top)' : `lines[${line - 1}]`;
    throw new DfwError(`${where}: ${(e as Error).message.replace(/^[^ ]*: /, '')}`);
  }
}
