// Strings shown in messages: quoted so that what a terminal would hide or move is visible.

/** Control characters: C0 (newline, carriage return, NUL, tab...), DEL and C1. */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A UTF-16 surrogate without its pair: YAML's "\ud800" escape makes one. No UTF-8 file can hold
 * it, so it would be written as U+FFFD, and the kernel would get another name than the policy's.
 */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A string quoted for a message, as JSON, with what JSON leaves raw escaped too: DEL, C1
 * controls (U+0085 NEL...), the line and paragraph separators and format characters (U+200B,
 * U+202E...). Raw, they are invisible or move the text around them on a terminal.
 */
export function quoted(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\p{Cf}]/gu, unitEscapes);
}

/** `\uXXXX` for each UTF-16 unit of `c`, as JSON writes escapes: an astral character (U+E0001...) is two. */
const unitEscapes = (c: string): string =>
  c
    .split('')
    .map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .join('');

/** `quoted(s)`, cut to `max` characters with an ellipsis: for values echoed in "found X". */
export function quotedShort(s: string, max = 60): string {
  return quoted(s.length > max ? `${s.slice(0, max)}…` : s);
}

/**
 * Shows the first control character (or lone surrogate) of a string as a JSON escape, e.g. `\n`;
 * undefined when there is none.
 */
export function firstControl(s: string): string | undefined {
  const m = CONTROL.exec(s) ?? LONE_SURROGATE.exec(s);
  return m ? quoted(m[0]).slice(1, -1) : undefined;
}

/**
 * Invisible format characters (Unicode category Cf): zero-width spaces and joiners, bidi
 * overrides (U+202E), the BOM, soft hyphens. In a name they make the file read as something
 * else than what the kernel gets ("Trojan Source").
 */
const INVISIBLE = /\p{Cf}/u;

/** `U+202E` for the first invisible format character of `s`, or undefined. */
export function firstInvisible(s: string): string | undefined {
  const m = INVISIBLE.exec(s);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}
