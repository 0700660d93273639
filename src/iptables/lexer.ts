// Tokens of one iptables-save / iptables-restore line.
//
// The moo lexer below defines the words exactly as iptables-restore splits them
// (docs/format.md#how-iptables-restore-splits-words, xshared.c add_param_to_argv()):
//   - blanks (space, tab) separate words; runs collapse;
//   - a double quote may open in the middle of a word and continues that word;
//   - inside quotes, a backslash makes the next character literal and is dropped;
//   - a closing quote always ends the word (`"abc"def` is two words);
//   - outside quotes a backslash is an ordinary character; single quotes are not quotes.
// An unterminated quote is an error here, although iptables-restore silently swallows
// the rest of the line (and its newline) into one argument.
import moo from 'moo';
import { COMMANDS, FLAG_WORDS, SECTIONS, type FlagToken } from './commands.js';
import { RULE_OPTIONS } from './rule-options.js';

/** A word: unquoted run, optionally followed by one quoted part that ends it; or a quoted part alone. */
const WORD = /[^ \t"\n]+(?:"(?:[^"\\\n]|\\[^\n])*")?|"(?:[^"\\\n]|\\[^\n])*"/;

export const mooLexer = moo.states({
  // The first token of a line decides what kind of line it is.
  start: {
    comment: /#[^\n]*/,
    table: { match: /\*[^ \t\n]*/, next: 'decl' },
    colon: { match: ':', next: 'decl' },
    counters: { match: /\[[0-9]+:[0-9]+\]/, next: 'args' },
    badcounters: { match: /\[[^\n]*/, next: 'args' },
    // Leading blanks: iptables-restore still reads the line as a command (and `  COMMIT` or
    // `  # x` as a bad one), so they lead into the argument state.
    blank: { match: /[ \t]+/, next: 'args' },
    word: { match: WORD, next: 'args' },
    badquote: /"[^\n]*|[^ \t"\n]+"[^\n]*/,
  },
  // `*table` and `:CHAIN POLICY [p:b]` lines: iptables-restore splits them with strtok on
  // blanks, without any quoting, so a chain named `q"x` is one word here.
  decl: {
    blank: /[ \t]+/,
    // Counters only as a whole word: strtok reads `:[1:2]X - [0:0]` as the chain `[1:2]X`.
    counters: /\[[0-9]+:[0-9]+\](?![^ \t\n])/,
    word: /[^ \t\n]+/,
  },
  args: {
    blank: /[ \t]+/,
    word: WORD,
    badquote: /"[^\n]*|[^ \t"\n]+"[^\n]*/,
  },
});

/** Token types the grammar sees. Words are classified by their spelling and context. */
export type TokenType = 'comment' | 'table' | 'colon' | 'counters' | 'commit' | 'word' | 'bang' | 'opt' | FlagToken;

/** Every token type, for the grammar: a %name it uses that is not one fails when it loads. */
export const TOKEN_TYPES: readonly TokenType[] = [
  'comment',
  'table',
  'colon',
  'counters',
  'commit',
  'word',
  'bang',
  'opt',
  ...FLAG_WORDS.map((w) => w.token),
];

export interface Token {
  type: TokenType;
  /** The word as iptables reads it (quotes removed, escapes applied). */
  value: string;
  /** The exact source text of the word. */
  text: string;
  /** 0-based character offset in the line. */
  offset: number;
  /** Position in the line's token list (the grammar records positions, not values). */
  index: number;
  /** True when the source text used quotes (a quoted word is never an option). */
  quoted: boolean;
}

/** Spellings that select a grammar rule (src/iptables/commands.ts); every other `-x` / `--xyz` word is a plain option. */
const FLAG_TYPES = new Map<string, TokenType>(
  FLAG_WORDS.flatMap((w) => [
    [w.short, w.token],
    [w.long, w.token],
  ]),
);

/**
 * Options whose single argument is free text: getopt takes the next word whatever it looks
 * like, so `--comment --looks-like-option` or `--comment !` is a value, not an option
 * (docs/format.md#getopt-reads-the-words).
 */
export const FREE_TEXT_OPTIONS = new Set([
  '--comment',
  '--log-prefix',
  '--nflog-prefix',
  '--ulog-prefix',
  '--helper',
  '--path',
  '--nfacct-name',
  '--string',
  '--hex-string',
  '--label',
  '--name',
  '--hashlimit-name',
  '--selctx',
]);

/**
 * Options that take a fixed number of words: the rule's own options (src/iptables/rule-options.ts),
 * the free-text options, and, among other extension options, those whose value iptables-save prints raw (docs/format.md#names-printed-raw): a
 * value with a blank in it then shows up as extra words, which iptables-restore rejects ("Bad
 * argument") or reads as something else.
 */
export const VALUE_COUNTS: Readonly<Record<string, number>> = {
  ...Object.fromEntries([...RULE_OPTIONS].map(([spelling, info]) => [spelling, info.values])),
  // getopt gives a free-text option exactly one word: `--comment 'a b'`, `--comment a\ b` and
  // `--comment "a"b` are two, and both restore tools reject the second ("Bad argument").
  ...Object.fromEntries([...FREE_TEXT_OPTIONS].map((f) => [f, 1])),
  '--physdev-in': 1,
  '--physdev-out': 1,
  '--match-set': 2,
  '--add-set': 2,
  '--del-set': 2,
  '--map-set': 2,
};

/**
 * Options and commands whose value iptables-save prints raw, never in quotes (docs/format.md#names-printed-raw),
 * and what the value names, for messages: a blank or a quote in one cannot be read back.
 */
export const RAW_VALUE_NAMES: Readonly<Record<string, string>> = {
  '-i': 'interface name',
  '--in-interface': 'interface name',
  '-o': 'interface name',
  '--out-interface': 'interface name',
  '--physdev-in': 'interface name',
  '--physdev-out': 'interface name',
  ...Object.fromEntries(
    [...COMMANDS, ...SECTIONS.filter((w) => w.token !== 'match')].flatMap((w) => [
      [w.short, 'chain name'],
      [w.long, 'chain name'],
    ]),
  ),
  '--match-set': 'set name',
  '--add-set': 'set name',
  '--del-set': 'set name',
  '--map-set': 'set name',
  '--hashlimit-name': 'hashlimit name',
  '--name': 'recent list name',
};

/** Removes the quotes and applies the backslash escapes of iptables-restore (inside quotes only). */
export function unquote(text: string): string {
  if (!text.includes('"')) return text;
  let out = '';
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuote) {
      if (c === '\\' && i + 1 < text.length) {
        out += text[++i]!;
      } else if (c === '"') {
        inQuote = false;
      } else {
        out += c;
      }
    } else if (c === '"') {
      inQuote = true;
    } else {
      out += c;
    }
  }
  return out;
}

const OPTION_RE = /^--?[A-Za-z0-9]/;

/** Type of an argument word, given the previous token (for free-text option values). */
export function classify(value: string, quoted: boolean, prev: Token | undefined): TokenType {
  if (quoted) return 'word';
  if (prev !== undefined && prev.type === 'opt' && FREE_TEXT_OPTIONS.has(prev.value)) return 'word';
  if (value === '!') return 'bang';
  if (!OPTION_RE.test(value)) return 'word';
  return FLAG_TYPES.get(value) ?? 'opt';
}

/** A lexing failure: the offset in the line and what went wrong. */
export class LexError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

/**
 * Splits one line (without its line end) into grammar tokens using the moo lexer.
 * This is the reference tokenizer; `tokenizeFast` must agree with it on every line.
 */
export function tokenize(line: string): Token[] {
  mooLexer.reset(line);
  const out: Token[] = [];
  let first = true;
  for (let t = mooLexer.next(); t !== undefined; t = mooLexer.next()) {
    switch (t.type) {
      case 'blank':
        break;
      case 'badquote':
        throw new LexError(
          'unterminated quote: iptables-restore would swallow the rest of the line into one argument',
          t.offset + t.text.indexOf('"'),
        );
      case 'badcounters':
        throw new LexError('bad counters prefix: expected [PACKETS:BYTES] with decimal numbers', t.offset);
      case 'comment':
      case 'table':
      case 'colon':
      case 'counters':
        out.push({ type: t.type, value: t.text, text: t.text, offset: t.offset, index: out.length, quoted: false });
        break;
      case 'word': {
        // `*table` and `:CHAIN` lines are split by strtok: a quote there is a character.
        const decl = mooLexer_state() === 'decl';
        const quoted = !decl && t.text.includes('"');
        const value = quoted ? unquote(t.text) : t.text;
        let type: TokenType;
        if (decl) type = 'word';
        else if (first && t.text === 'COMMIT') type = 'commit';
        else type = classify(value, quoted, out[out.length - 1]);
        out.push({ type, value, text: t.text, offset: t.offset, index: out.length, quoted });
        break;
      }
      default:
        throw new LexError(`unexpected ${t.type}`, t.offset);
    }
    first = false;
  }
  return out;
}

// moo does not expose the current state in its types; words in `decl` lines are never options.
function mooLexer_state(): string {
  return (mooLexer as unknown as { state: string }).state;
}

const COUNTERS_PREFIX = /^\[[0-9]+:[0-9]+\]/;

/**
 * The same tokens as `tokenize` for rule and command lines (those starting with `-` or a
 * `[p:b]` prefix: nearly every line of a big dump), by a hand-written scan of the word rule
 * instead of moo. Other lines, and lines with an error, go through moo, which also words the
 * error. (test/iptables-fastpath.test.ts checks that both agree on every fixture line.)
 */
export function tokenizeFast(line: string): Token[] {
  const n = line.length;
  let i = 0;
  const out: Token[] = [];
  let prev: Token | undefined;
  const c0 = line.charCodeAt(0);
  if (c0 === 91 /* [ */) {
    const m = COUNTERS_PREFIX.exec(line);
    if (m === null) return tokenize(line);
    prev = { type: 'counters', value: m[0], text: m[0], offset: 0, index: 0, quoted: false };
    out.push(prev);
    i = m[0].length;
  } else if (c0 !== 45 /* - */) {
    return tokenize(line);
  }
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && c !== 32 && c !== 9 && c !== 34 /* " */) c = line.charCodeAt(++i);
    let quoted = false;
    if (i < n && c === 34) {
      // A quoted part: backslash escapes anything, the closing quote ends the word.
      quoted = true;
      let j = i + 1;
      for (;;) {
        if (j >= n) return tokenize(line); // unterminated: moo reports it
        const d = line.charCodeAt(j);
        if (d === 92 /* \ */) j += 2;
        else if (d === 34) break;
        else j++;
      }
      i = j + 1;
    }
    const text = line.slice(start, i);
    const value = quoted ? unquote(text) : text;
    const t: Token = { type: classify(value, quoted, prev), value, text, offset: start, index: out.length, quoted };
    out.push(t);
    prev = t;
  }
  return out;
}
