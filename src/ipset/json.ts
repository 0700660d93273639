// The JSON form of an ipset dump (`dfw parse`, `dfw fmt --from-json`), version 1: the AST as
// it is. A line whose fields still agree with its `source` prints as that source; an edited or
// added line is printed canonically and must read back, through the grammar, as the same line.
import { isDeepStrictEqual } from 'node:util';
import { DfwError } from '../errors.js';
import type { IpsetDump, IpsetLine } from './ast.js';
import { parseIpset } from './parse.js';
import { canonicalLine, printLine } from './print.js';

export const IPSET_JSON_VERSION = 1;

export function ipsetToJson(dump: IpsetDump): object {
  return { version: IPSET_JSON_VERSION, kind: 'ipset', lines: dump.lines, finalNewline: dump.finalNewline };
}

/** The fields that make a line what it is (not where it came from). */
function fields(line: IpsetLine): object {
  const { source: _source, ...rest } = line as IpsetLine & { source?: unknown };
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

export function ipsetFromJson(value: unknown, file: string): IpsetDump {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DfwError('(top): expected an object');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['version', 'kind', 'lines', 'finalNewline', 'file'].includes(k)) throw new DfwError(`${k}: unknown field`);
  if (o.version !== IPSET_JSON_VERSION) throw new DfwError(`version: expected ${IPSET_JSON_VERSION}`);
  if (!Array.isArray(o.lines)) throw new DfwError('lines: expected an array');
  const lines = o.lines.map((raw, i): IpsetLine => {
    const where = `lines[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new DfwError(`${where}: expected an object`);
    const node = raw as IpsetLine & { source?: { text?: unknown } };
    const source = node.source?.text;
    if (typeof source === 'string' && !/[\r\n]/.test(source)) {
      // Unchanged since `dfw parse`: keep the exact text.
      const parsed = readLine(source, `${where}.source`);
      if (isDeepStrictEqual(fields(parsed), fields(node))) return parsed;
    }
    let text: string;
    try {
      text = canonicalLine(fields(node) as IpsetLine);
    } catch {
      throw new DfwError(`${where}: not a valid ipset line (kind, set, type, entry, options)`);
    }
    const back = readLine(text, where);
    if (!isDeepStrictEqual(fields(back), fields(node))) {
      throw new DfwError(
        `${where}: not a valid ipset line: it would be written as ${JSON.stringify(text)}, which reads back differently`,
      );
    }
    const { source: _s, ...edited } = back as IpsetLine & { source?: unknown };
    printLine(edited as IpsetLine); // the limits of ipset restore (names, comments, line length)
    return edited as IpsetLine;
  });
  return { file, lines, finalNewline: o.finalNewline === undefined ? lines.length > 0 : o.finalNewline === true };
}
