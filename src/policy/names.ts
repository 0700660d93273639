// Names a policy gives to things that end up in iptables and ipset files. Each check returns a
// reason (phrased as a complete clause) or undefined when the name is acceptable.

import { firstInvisible, quoted } from '../text/quote.js';
import { byteLength } from '../text/utf8.js';

/** Names refuse invisible format characters: the file would read as another name ("Trojan Source"). */
function invisible(s: string, what: string): string | undefined {
  const code = firstInvisible(s);
  if (code === undefined) return undefined;
  return `${what} ${quoted(s)} contains an invisible formatting character (${code}): the file would not show the name the kernel gets`;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Policy names become part of every managed rule's tag, `dfw:<policy>:<rule>` (a `--comment`),
 * and of the chain the policy owns, `DFW-<policy>`: at most 28 bytes for iptables, so 24 here.
 */
export const POLICY_NAME_MAX = 24;
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
  const n = byteLength(s);
  if (n > 15) return `interface name ${shown} is ${n} bytes long (at most 15, the kernel's IFNAMSIZ)`;
  return undefined;
}

/** Set names: ipset's rules and no invisible characters (src/ipset/set-name.ts). */
export { checkNewSetName as checkSetName } from '../ipset/set-name.js';
