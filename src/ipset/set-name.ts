// ipset set names: what ipset and dfw accept (docs/format.md#set-names), and the temporary names of swap mode.
import { firstInvisible, quoted } from '../text/quote.js';
import { byteLength, truncateBytes } from '../text/utf8.js';

/** IPSET_MAXNAMELEN is 32 bytes with the NUL. */
export const SET_NAME_MAX = 31;

/** What a temporary set's name ends with: `NAME-dfwtmp`, `NAME-dfwtmp2`... */
export const TEMP_SUFFIX = '-dfwtmp';

/**
 * A set name: at most 31 bytes, no leading `-` (ipset would read an option). ipset itself
 * accepts whitespace and `"`, but `ipset save` prints names raw, so such a set cannot be
 * restored (I4); dfw refuses them. Returns the reason, or undefined when the name is fine.
 */
export function checkSetName(name: string): string | undefined {
  const shown = quoted(name);
  if (name === '') return 'a set name must not be empty';
  if (/\s/.test(name))
    return `set name ${shown} contains whitespace, which ipset save prints raw and ipset restore then splits`;
  if (name.includes('"')) return `set name ${shown} contains a double quote, which ipset restore reads as a quote`;
  if (name.startsWith('-')) return `set name ${shown} must not start with "-" (ipset would read an option)`;
  const n = byteLength(name);
  if (n > SET_NAME_MAX) return `set name ${shown} is ${n} bytes long (at most ${SET_NAME_MAX})`;
  return undefined;
}

/**
 * checkSetName, and no invisible formatting characters (U+200B, U+202E...): in a name written
 * by a person they make the file read as something else than what the kernel gets ("Trojan
 * Source"). A dump may hold such a set (ipset accepts it); a policy may not create one.
 */
export function checkNewSetName(name: string): string | undefined {
  const bad = checkSetName(name);
  if (bad !== undefined) return bad;
  const code = firstInvisible(name);
  if (code === undefined) return undefined;
  return `set name ${quoted(name)} contains an invisible formatting character (${code}): the file would not show the name the kernel gets`;
}

/**
 * A name for the temporary set that replaces `name` in swap mode: `NAME-dfwtmp` (the name cut
 * to fit in 31 bytes), or `NAME-dfwtmpN` when that is in `taken`. The name is added to `taken`.
 */
export function tempSetName(name: string, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? TEMP_SUFFIX : `${TEMP_SUFFIX}${n}`;
    const candidate = truncateBytes(name, SET_NAME_MAX - suffix.length) + suffix;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}
