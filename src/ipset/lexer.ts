// Words of one `ipset save` / `ipset restore` line, split exactly as ipset restore splits them
// (docs/format.md#reading-lines, docs/format.md#how-ipset-restore-splits-words;
// lib/ipset.c ipset_parse_stream() and build_argv()):
//   - leading white space (C isspace) is skipped; then an empty line or a `#` makes the line a comment;
//   - `COMMIT` alone (maybe followed by `\r`) commits the batch;
//   - blanks (space, tab, `\r`) separate words; `"` toggles quoting anywhere and never ends a
//     word (`a"b c"d` is the word `ab cd`); there is no escape character;
//   - empty words (`""`) are dropped;
//   - `-exist` / `-!` are taken out wherever they are, before the command is looked at
//     (ipset_parser() strips environment options from the whole line first).
import moo from 'moo';
import { commandOf, isExistOption, setTypeOf } from './settypes.js';

export const mooLexer = moo.compile({
  blank: /[ \t\r]+/,
  // A run of plain characters and quoted parts; a quote opened in a word continues it.
  word: /(?:[^ \t\r\n"]|"[^"\n]*")+/,
  // Only reached when a `"` has no closing quote before the end of the line.
  unclosed: /"[^"\n]*/,
  other: moo.error,
});

export interface IpsetToken {
  type: 'word' | 'comment' | 'commit';
  /** The word as ipset sees it: quotes removed. */
  value: string;
  /** What the grammar's keyword literals compare: the value without two leading dashes (`--timeout`). */
  text: string;
  /** The word as written, quotes included. */
  raw: string;
  /** 0-based offset of the word's first character in the line. */
  offset: number;
  /** Position among the tokens the grammar sees. */
  index: number;
}

export type LineTokens =
  | { ok: true; tokens: IpsetToken[]; exist: IpsetToken[]; words: number }
  | { ok: false; offset: number; reason: string };

/** ipset restore keeps 30 words a line: MAX_ARGS 32 less argv[0], and it fails as soon as a 31st would start. */
export const MAX_WORDS = 30;

const C_SPACE = /^[ \t\n\v\f\r]*/;

function token(type: IpsetToken['type'], value: string, raw: string, offset: number): IpsetToken {
  const text = value.startsWith('--') ? value.slice(2) : value;
  return { type, value, text, raw, offset, index: 0 };
}

/** Splits one line (without its `\n`) into the tokens the grammar reads. */
export function tokenizeLine(line: string): LineTokens {
  const lead = C_SPACE.exec(line)?.[0].length ?? 0;
  const rest = line.slice(lead);
  if (rest === '') return { ok: true, tokens: [], exist: [], words: 0 };
  if (rest.startsWith('#')) return { ok: true, tokens: [token('comment', rest, rest, lead)], exist: [], words: 0 };
  // ipset compares the rest of the line with "COMMIT\n" and "COMMIT\r\n" (docs/format.md#reading-lines).
  if (rest === 'COMMIT' || rest === 'COMMIT\r')
    return { ok: true, tokens: [token('commit', 'COMMIT', 'COMMIT', lead)], exist: [], words: 0 };

  const tokens: IpsetToken[] = [];
  const exist: IpsetToken[] = [];
  let words = 0;
  let lastEnd = 0;
  mooLexer.reset(rest);
  for (const t of mooLexer) {
    const offset = lead + t.offset;
    if (t.type === 'blank') continue;
    if (t.type === 'unclosed' || t.type === 'other') {
      return {
        ok: false,
        offset,
        reason: 'missing close quote: this " is never closed (ipset restore would silently drop the rest of the line)',
      };
    }
    const value = t.text.replace(/"/g, '');
    if (value === '') continue; // build_argv() drops empty words
    words++;
    lastEnd = offset + t.text.length;
    if (words > MAX_WORDS) {
      return {
        ok: false,
        offset,
        reason: `too many words: ipset restore reads at most ${MAX_WORDS} words a line ("Line is too long to parse.")`,
      };
    }
    const tok = token('word', value, t.text, offset);
    if (isExistOption(value)) exist.push(tok);
    else tokens.push(tok);
  }
  // With 30 words, build_argv() fails on any character after the last one, even a blank.
  if (words === MAX_WORDS && lastEnd < line.length) {
    return {
      ok: false,
      offset: lastEnd,
      reason: `nothing may follow the ${MAX_WORDS}th word, not even a blank: ipset restore fails with "Line is too long to parse."`,
    };
  }
  tokens.forEach((t, i) => (t.index = i));
  return { ok: true, tokens, exist, words };
}

/**
 * The class of a token as the grammar's terminals see it: keyword spelling, command and type.
 * Two lines whose tokens have the same classes have the same parse (src/ipset/parse.ts caches it).
 */
export function tokenClass(t: IpsetToken): string {
  if (t.type !== 'word') return t.type;
  const kw = KEYWORDS.has(t.text) ? t.text : '';
  return `${kw}|${commandOf(t.value) ?? ''}|${setTypeOf(t.value) ?? ''}`;
}

/** Every keyword literal of grammar/ipset.ne. */
export const KEYWORDS = new Set([
  // In the order `ipset save` prints them, so that messages list them that way.
  'range',
  'size',
  'family',
  '-4',
  '-6',
  'markmask',
  'hashsize',
  'maxelem',
  'netmask',
  'bitmask',
  'timeout',
  'counters',
  'comment',
  'forceadd',
  'skbinfo',
  'bucketsize',
  'initval',
  'probes',
  'resize',
  'gc',
  'before',
  'after',
  'nomatch',
  'wildcard',
  'packets',
  'bytes',
  'skbmark',
  'skbprio',
  'skbqueue',
]);
