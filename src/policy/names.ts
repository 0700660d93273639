// Names a policy gives to things that end up in iptables and ipset files. Each check returns a
// reason (phrased as a complete clause) or undefined when the name is acceptable.

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

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

/**
 * Shows the first control character (or lone surrogate) of a string as a JSON escape, e.g. `\n`.
 * Both are refused in every policy string.
 */
export function firstControl(s: string): string | undefined {
  const m = CONTROL.exec(s) ?? LONE_SURROGATE.exec(s);
  return m ? quoted(m[0]).slice(1, -1) : undefined;
}

/**
 * Invisible format characters (Unicode category Cf): zero-width spaces and joiners, bidi
 * overrides (U+202E), the BOM, soft hyphens. In a name they make the file read as something
 * else than what the kernel gets ("Trojan Source"), so names refuse them.
 */
const INVISIBLE = /\p{Cf}/u;

function invisible(s: string, what: string): string | undefined {
  const m = INVISIBLE.exec(s);
  if (!m) return undefined;
  const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `${what} ${quoted(s)} contains an invisible formatting character (${code}): the file would not show the name the kernel gets`;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Policy names become part of every managed rule's tag, `dfw:<policy>:<rule>` (a `--comment`). */
export const POLICY_NAME_MAX = 32;
/** Rule names: the tag stays far below --comment's 255 bytes (docs/format.md#limits-of-iptables-restore) and unquoted. */
export const RULE_NAME_MAX = 64;

function tagPart(s: string, max: number): string | undefined {
  if (s.length === 0) return 'must not be empty';
  if (!NAME.test(s)) {
    return `${quoted(s)} may contain only letters, digits, "_", "." and "-" (it becomes part of the rule tag dfw:<policy>:<rule>)`;
  }
  if (s.length > max) return `${quoted(s)} is ${s.length} characters long (at most ${max})`;
  return undefined;
}

export const checkPolicyName = (s: string): string | undefined => tagPart(s, POLICY_NAME_MAX);
export const checkRuleName = (s: string): string | undefined => tagPart(s, RULE_NAME_MAX);

/**
 * Interface names for `-i`: the kernel's dev_valid_name() (at most 15 bytes, IFNAMSIZ 16 with the
 * NUL; no whitespace, "/" or ":"; not "." or "..") plus what iptables-restore needs: no `"` (its
 * tokenizer quotes) and no leading "-" or "!" (read as an option or a negation). A trailing "+"
 * is iptables' prefix wildcard and counts in the 15 (docs/format.md#limits-of-iptables-restore).
 */
export function checkInterface(s: string): string | undefined {
  const shown = quoted(s);
  if (s.length === 0) return 'an interface name must not be empty';
  if (s === '+')
    return `${shown} alone matches every interface (iptables-save drops "-i +"): name the external interfaces, e.g. eth0 or eth+`;
  if (/\s/.test(s)) return `interface name ${shown} contains whitespace`;
  if (s.includes('"')) return `interface name ${shown} contains a double quote`;
  if (s.includes('/')) return `interface name ${shown} contains "/"`;
  if (s.includes(':'))
    return `interface name ${shown} contains ":" (an alias such as eth0:1 is not an interface: its traffic arrives on eth0)`;
  if (s === '.' || s === '..') return `${shown} is not a valid interface name`;
  if (s.startsWith('-') || s.startsWith('!')) return `interface name ${shown} must not start with "${s[0]}"`;
  if (s.slice(0, -1).includes('+')) return `interface name ${shown}: "+" is a wildcard only at the end (e.g. "eth+")`;
  const hidden = invisible(s, 'interface name');
  if (hidden !== undefined) return hidden;
  const n = utf8Length(s);
  if (n > 15) return `interface name ${shown} is ${n} bytes long (at most 15, the kernel's IFNAMSIZ)`;
  return undefined;
}

/**
 * ipset set names: at most 31 bytes (IPSET_MAXNAMELEN 32 with the NUL), never a leading "-"
 * (docs/format.md#set-names). ipset save prints names raw, so whitespace would make the dump unrestorable,
 * and `"` is a quote for both the ipset and iptables-restore tokenizers.
 */
export function checkSetName(s: string): string | undefined {
  const shown = quoted(s);
  if (s.length === 0) return 'a set name must not be empty';
  if (/\s/.test(s)) return `set name ${shown} contains whitespace`;
  if (s.includes('"')) return `set name ${shown} contains a double quote`;
  if (s.startsWith('-')) return `set name ${shown} must not start with "-"`;
  const hidden = invisible(s, 'set name');
  if (hidden !== undefined) return hidden;
  const n = utf8Length(s);
  if (n > 31) return `set name ${shown} is ${n} bytes long (at most 31)`;
  return undefined;
}
