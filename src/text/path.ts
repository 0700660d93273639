// Paths into a policy as messages show them: `allow[1].port`, `ipsets.ipfriends.options.hashsize`,
// `ipsets["a b"]`. Indices are 0-based, as in the default rule names (`allow-0`).
import { quoted } from './quote.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${quoted(seg)}]`;
  }
  return out;
}

/** `path: reason`, or the reason alone for the empty path (a problem of the whole file). */
export function atPath(path: Path, reason: string): string {
  const shown = formatPath(path);
  return shown === '' ? reason : `${shown}: ${reason}`;
}
