// The driver's fast path: scans a rule line, in place in the whole text (offsets, no line
// string), into reusable typed arrays, giving the shape key (as shapeKey() computes it from
// tokenize()'s tokens) without allocating a token per word.
// Anything unusual (a check that may fail, a line that is not a plain rule) returns false
// and the line takes the reference path (tokenize + nearley), which also words the errors.
import { FLAG_WORDS, SECTIONS } from './commands.js';
import { FREE_TEXT_OPTIONS, VALUE_COUNTS } from './lexer.js';

const MAX_WORDS = 512;

export interface Scan {
  /** The text being scanned, and where its next quote and tab are (cursors: lines come in order). */
  text: string;
  nextQuote: number;
  nextTab: number;
  n: number;
  /** A hash of the codes, to find the shape without building the key string. */
  hash: number;
  /** Per word: the shape-key character of its token type. */
  codes: Uint16Array;
  start: Int32Array;
  end: Int32Array;
  quoted: Uint8Array;
}

/** A scan over `text`, whose lines are then scanned in order. */
export function newScan(text = ''): Scan {
  return {
    text,
    nextQuote: -1,
    nextTab: -1,
    n: 0,
    hash: 0,
    codes: new Uint16Array(MAX_WORDS),
    start: new Int32Array(MAX_WORDS),
    end: new Int32Array(MAX_WORDS),
    quoted: new Uint8Array(MAX_WORDS),
  };
}

const C = (s: string) => s.charCodeAt(0);
// Shape-key characters (src/iptables/shape.ts CODES).
const WORD = C('w'),
  BANG = C('!'),
  OPT = C('o'),
  COUNTERS = C('c');
/** Pseudo-codes for long flags: a free-text option (an `o` whose next word is a value), and -t. */
const FREE = -1,
  TABLE = -2;
/** Short flags that select a grammar rule (src/iptables/commands.ts), by their letter; 0 for a plain option. */
const SHORT = new Uint16Array(128);
for (const w of FLAG_WORDS) SHORT[w.short.charCodeAt(1)] = C(w.code);
const sectionCode = (token: string) => C(SECTIONS.find((w) => w.token === token)!.code);
const JUMP = sectionCode('jump'),
  GOTO = sectionCode('goto');
/** Their long spellings. */
const LONG: Record<string, number> = Object.fromEntries(FLAG_WORDS.map((w) => [w.long, C(w.code)]));

/** Long flags the scan must recognise, by length: no slice is made to compare them. */
const BY_LENGTH: { flag: string; code: number; count: number }[][] = [];
const longFlags: [string, number][] = [
  ...Object.entries(LONG),
  ...[...FREE_TEXT_OPTIONS].map((f) => [f, FREE] as [string, number]),
  ['--table', TABLE],
  ...Object.keys(VALUE_COUNTS)
    .filter((f) => f.startsWith('--'))
    .map((f) => [f, OPT] as [string, number]),
];
for (const [flag, code] of longFlags)
  (BY_LENGTH[flag.length] ??= []).push({ flag, code, count: VALUE_COUNTS[flag] ?? -1 });

/** The number of values the last long flag found must have (-1: any). */
let longCount = -1;

function longFlag(line: string, start: number, len: number): number {
  longCount = -1;
  const list = BY_LENGTH[len];
  if (list !== undefined) {
    for (let k = 0; k < list.length; k++) {
      const e = list[k]!;
      if (line.startsWith(e.flag, start)) {
        longCount = e.count;
        return e.code;
      }
    }
  }
  return OPT;
}

/** Values expected after `-X` short options, by letter (-1: any). */
const SHORT_COUNT = new Int8Array(128).fill(-1);
for (const [flag, n] of Object.entries(VALUE_COUNTS)) if (flag.length === 2) SHORT_COUNT[flag.charCodeAt(1)] = n;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Whether text[from, to) holds a tab (moves the tab cursor; lines in increasing order). */
export function tabIn(s: Scan, from: number, to: number): boolean {
  if (s.nextTab !== -2 && s.nextTab < from) {
    s.nextTab = s.text.indexOf('\t', from);
    if (s.nextTab < 0) s.nextTab = -2; // none left in the text
  }
  return s.nextTab >= from && s.nextTab < to;
}

/** Scans one line given as a string (tests and tools): a fresh cursor over that line. */
export function scanString(line: string, s: Scan): boolean {
  s.text = line;
  s.nextQuote = -1;
  s.nextTab = -1;
  return scanLine(s, 0, line.length);
}

/**
 * Fills `s` for the plain rule or command line text[from, to) (no line end); false sends the
 * line to the reference path. Offsets in `s` are relative to `from`. Lines must be scanned
 * in increasing order of `from` (the quote and tab cursors only move forward).
 */
// Over 80 lines on purpose: it runs once per line of a dump of a million lines, and split into
// helpers it would make a call per word on the parse's hottest path.
// eslint-disable-next-line max-lines-per-function
export function scanLine(s: Scan, from: number, to: number): boolean {
  const line = s.text;
  const n = to;
  // The arrays in locals: V8 then keeps them in registers across the indexOf calls.
  const codes = s.codes,
    starts = s.start,
    ends = s.end,
    quotes = s.quoted;
  let i = from;
  let w = 0;
  let h = 0;
  let freeTextNext = false;
  let targets = 0;
  // Values still owed to / counted for the last option with a fixed count (-1: none).
  let expect = -1;
  let values = 0;
  const c0 = line.charCodeAt(from);
  if (c0 === 91 /* [ */) {
    const end = countersEnd(line, from, n);
    if (end < 0) return false;
    codes[0] = COUNTERS;
    starts[0] = 0;
    ends[0] = end - from;
    quotes[0] = 0;
    h = COUNTERS;
    w = 1;
    i = end;
  } else if (c0 !== 45 /* - */) {
    return false;
  }
  // Words are found with native indexOf (space, quote) rather than a loop over characters;
  // tabs, which also separate words, are left to the reference path.
  if (tabIn(s, from, to)) return false;
  if (s.nextQuote !== -2 && s.nextQuote < i) {
    s.nextQuote = line.indexOf('"', i);
    if (s.nextQuote < 0) s.nextQuote = -2;
  }
  let quote = s.nextQuote >= 0 && s.nextQuote < to ? s.nextQuote : -1;
  while (i < n) {
    if (line.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    if (w >= MAX_WORDS) return false;
    const start = i;
    let end = line.indexOf(' ', i);
    if (end < 0 || end > n) end = n;
    let quoted = 0;
    if (quote >= 0 && quote < end) {
      // A quoted part: backslash escapes anything, the closing quote ends the word.
      quoted = 1;
      let j = quote + 1;
      for (;;) {
        if (j >= n) return false;
        const d = line.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === 34) break;
        else j++;
      }
      end = j + 1;
      s.nextQuote = line.indexOf('"', end);
      if (s.nextQuote < 0) s.nextQuote = -2;
      quote = s.nextQuote >= 0 && s.nextQuote < to ? s.nextQuote : -1;
    }
    i = end;
    let code = WORD;
    let count = -1; // values this word, an option, must have (-1: any)
    let free = false;
    if (quoted === 0 && !freeTextNext) {
      const len = end - start;
      const a = line.charCodeAt(start);
      if (a === 33 /* ! */ && len === 1) {
        code = BANG;
      } else if (a === 45 && len >= 2) {
        const b = line.charCodeAt(start + 1);
        if (b === 45) {
          if (len >= 3 && isAlnum(line.charCodeAt(start + 2))) {
            code = longFlag(line, start, len);
            if (code === TABLE) return false;
            count = longCount;
            if (code === FREE) {
              code = OPT;
              free = true;
            }
          }
        } else if (isAlnum(b)) {
          if (len > 2 || b === 116 /* t */) return false; // attached short option, or -t: errors
          code = (b < 128 && SHORT[b]) || OPT;
          if (code === OPT && b < 128) count = SHORT_COUNT[b]!;
        }
      }
    }
    if (code === WORD) {
      values++;
    } else {
      // A word that is not a value closes the previous option's values.
      if (expect >= 0 && values !== expect) return false; // the reference path says why
      expect = count;
      values = 0;
      if (code === JUMP || code === GOTO) targets++;
    }
    freeTextNext = free;
    codes[w] = code;
    starts[w] = start - from;
    ends[w] = end - from;
    quotes[w++] = quoted;
    h = (Math.imul(h, 31) + code) | 0;
  }
  if (targets > 1) return false;
  if (expect >= 0 && values !== expect) return false;
  s.n = w;
  s.hash = h;
  return true;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Where `[packets:bytes]` (decimal digits on both sides) starting at text[from] ends, the index
 * after its `]`, within text[from, to); -1 when there is none. As a rule's prefix and at the end
 * of a `:CHAIN` line.
 */
export function countersEnd(text: string, from: number, to: number): number {
  if (text.charCodeAt(from) !== 91 /* [ */) return -1;
  let j = from + 1;
  const p = j;
  while (j < to && isDigit(text.charCodeAt(j))) j++;
  if (j === p || j >= to || text.charCodeAt(j) !== 58 /* : */) return -1;
  const b = ++j;
  while (j < to && isDigit(text.charCodeAt(j))) j++;
  if (j === b || j >= to || text.charCodeAt(j) !== 93 /* ] */) return -1;
  return j + 1;
}

/** Whether `key` is the shape key of the scanned line. */
export function scanMatches(s: Scan, key: string): boolean {
  if (key.length !== s.n) return false;
  for (let k = 0; k < s.n; k++) if (key.charCodeAt(k) !== s.codes[k]) return false;
  return true;
}

/** The shape key of a scanned line. */
export function scanKey(s: Scan): string {
  return String.fromCharCode.apply(null, s.codes.subarray(0, s.n) as unknown as number[]);
}
