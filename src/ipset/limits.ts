// Limits of names, comments and lines that `ipset restore` can read back (docs/format.md#set-names,
// docs/format.md#entry-comments, docs/format.md#reading-lines,
// docs/format.md#how-ipset-restore-splits-words). Each check returns a reason, or undefined when the value is fine.

const utf8 = new TextEncoder();
/** UTF-8 length; plain ASCII (the usual case) is counted without encoding. */
export const byteLength = (s: string): number => (/^[\x00-\x7f]*$/.test(s) ? s.length : utf8.encode(s).length);

/** IPSET_MAXNAMELEN is 32 bytes with the NUL. */
export const SET_NAME_MAX = 31;
/** "Comment is longer than the maximum allowed 255 characters" (counted in bytes: strlen). */
export const COMMENT_MAX = 255;
/** fgets() with a 1024-byte buffer: a longer line is split and its pieces read as separate lines. */
export const LINE_MAX_BYTES = 1023;

/**
 * Set names: at most 31 bytes, no leading `-` (docs/format.md#set-names). ipset itself accepts whitespace
 * and `"`, but `ipset save` prints names raw, so such a set cannot be restored; dfw refuses them.
 */
export function checkSetName(name: string): string | undefined {
  const shown = JSON.stringify(name);
  if (name === '') return 'a set name must not be empty';
  if (/[\s]/.test(name))
    return `set name ${shown} contains white space, which ipset save prints raw and ipset restore then splits`;
  if (name.includes('"')) return `set name ${shown} contains a double quote, which ipset restore reads as a quote`;
  if (name.startsWith('-')) return `set name ${shown} starts with "-", which ipset reads as an option`;
  const n = byteLength(name);
  if (n > SET_NAME_MAX) return `set name ${shown} is ${n} bytes long (at most ${SET_NAME_MAX})`;
  return undefined;
}

/**
 * Comments: at most 255 bytes and no `"` (ipset refuses it: there is no escape, docs/format.md#entry-comments).
 * No line breaks either: ipset save would print them raw and break the line.
 */
export function checkComment(text: string): string | undefined {
  if (text === '') return 'a comment must not be empty (ipset restore drops "" and then misses the comment)';
  if (text.includes('"'))
    return `comment ${JSON.stringify(text)} contains a double quote, which ipset does not allow ("\\" character is not permitted in comments")`;
  if (/[\n\r]/.test(text)) return `comment ${JSON.stringify(text)} contains a line break`;
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
