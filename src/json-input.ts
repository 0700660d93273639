// Parsing JSON text with errors that say where (file:line:column), as for dumps.
import { DfwSyntaxError } from './errors.js';

export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : text.length;
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const lineStart = before.lastIndexOf('\n') + 1;
    const end = text.indexOf('\n', lineStart);
    throw new DfwSyntaxError(`invalid JSON: ${msg.replace(/^[^:]*JSON[^:]*: /, '')}`, {
      file,
      line,
      column: offset - lineStart + 1,
      source: text.slice(lineStart, end < 0 ? undefined : end),
    });
  }
}
