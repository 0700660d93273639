// The cheapest answer for most rules of a big dump: a leading `-d ADDR/32`, `-s`, `-i`, `-o` or
// `-p` that the packet fails, read as text from the rule's line. A kube-proxy dump's chains are
// long lists of `-d CLUSTER-IP/32 -p tcp ...` rules; comparing words costs less than building
// each rule's tests. Undecided here means nothing: the rule's tests then decide.
import { ifaceMatches } from './compile.js';
import type { Pkt } from './packet.js';
import { protoNumber } from './sets.js';

/** The packet's addresses as `ADDR/32` (`/128`) words, computed once per packet. */
export interface HostWords {
  readonly src: string;
  readonly dst: string;
}

const PROTOS = new Map<string, number | undefined>();

/** Why the rule cannot match, when a leading word says so; undefined when undecided. */
export function fastReject(
  text: string,
  p: Pkt,
  words: HostWords,
  srcText: string,
  dstText: string,
): string | undefined {
  if (!text.startsWith('-A ')) return undefined;
  let at = text.indexOf(' ', 3);
  for (let guard = 0; at > 0 && guard < 8; guard++) {
    let end = text.indexOf(' ', at + 1);
    let flag = text.slice(at + 1, end < 0 ? text.length : end);
    const negated = flag === '!';
    if (negated) {
      at = end;
      end = text.indexOf(' ', at + 1);
      flag = text.slice(at + 1, end < 0 ? text.length : end);
    }
    if (end < 0) return undefined;
    const vEnd = text.indexOf(' ', end + 1);
    const value = text.slice(end + 1, vEnd < 0 ? text.length : vEnd);
    at = vEnd;
    const match = wordMatch(flag, value, p, words);
    if (match === undefined) {
      if (flag === '-s' || flag === '-d' || flag === '-i' || flag === '-o' || flag === '-p') continue;
      return undefined;
    }
    if (match === negated) {
      const what =
        flag === '-s'
          ? `source ${srcText}`
          : flag === '-d'
            ? `destination ${dstText}`
            : flag === '-i'
              ? `in ${p.in}`
              : flag === '-o'
                ? `out ${p.out ?? '?'}`
                : `protocol ${p.proto ?? '?'}`;
      return `${negated ? '! ' : ''}${flag} ${value}: ${what}`;
    }
  }
  return undefined;
}

function wordMatch(flag: string, value: string, p: Pkt, words: HostWords): boolean | undefined {
  if (value.includes('"') || value.includes("'") || value.includes('\\')) return undefined;
  switch (flag) {
    case '-s':
    case '-d': {
      const host = p.family === 4 ? value.endsWith('/32') : value.endsWith('/128');
      return host ? value === (flag === '-s' ? words.src : words.dst) : undefined;
    }
    case '-i':
      return ifaceMatches(value, p.in);
    case '-o':
      return p.out === undefined ? undefined : ifaceMatches(value, p.out);
    case '-p': {
      if (p.proto === undefined) return undefined;
      let n = PROTOS.get(value);
      if (!PROTOS.has(value)) {
        n = value === 'all' || value === '0' ? 0 : protoNumber(value);
        PROTOS.set(value, n);
      }
      return n === undefined ? undefined : n === 0 || n === p.proto;
    }
    default:
      return undefined;
  }
}
