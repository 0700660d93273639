// Limits of comments and lines that `ipset restore` can read back (docs/format.md#entry-comments, docs/format.md#reading-lines, docs/format.md#how-ipset-restore-splits-words;
// set names: set-name.ts). Each check returns a reason, or undefined when the value is fine.

import { byteLength } from '../text/utf8.js';
import { quoted } from '../text/quote.js';

/** "Comment is longer than the maximum allowed 255 characters" (counted in bytes: strlen). */
export const COMMENT_MAX = 255;
/** fgets() with a 1024-byte buffer: a longer line is split and its pieces read as separate lines. */
export const LINE_MAX_BYTES = 1023;

/**
 * Comments: at most 255 bytes and no `"` (ipset refuses it: there is no escape, docs/format.md#entry-comments).
 * No line breaks either: ipset save would print them raw and break the line.
 */
export function checkComment(text: string): string | undefined {
  if (text === '') return 'a comment must not be empty (ipset restore drops "" and then misses the comment)';
  if (text.includes('"'))
    return `comment ${quoted(text)} contains a double quote, which ipset does not allow ("\\" character is not permitted in comments")`;
  if (/[\n\r]/.test(text)) return `comment ${quoted(text)} contains a line break`;
  const n = byteLength(text);
  if (n > COMMENT_MAX) return `comment is ${n} bytes long (at most ${COMMENT_MAX})`;
  return undefined;
}

/**
 * A line dfw writes for ipset restore: at most 1023 bytes and 30 words (docs/format.md#reading-lines,
 * docs/format.md#how-ipset-restore-splits-words).
 */
export function checkRestoreLine(line: string, words: number): string | undefined {
  const n = byteLength(line);
  if (n > LINE_MAX_BYTES) return `line is ${n} bytes long: ipset restore reads at most ${LINE_MAX_BYTES} bytes a line`;
  if (words > 30) return `line has ${words} words: ipset restore reads at most 30 ("Line is too long to parse.")`;
  return undefined;
}
