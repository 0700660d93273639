// How iptables-save writes option values (docs/format.md#quoting), and the checks that keep a
// value built in code from turning into a different argument list in iptables-restore.
import { DfwError } from '../errors.js';

const SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * xtables_save_string(): unquoted when non-empty and made of [A-Za-z0-9_-] only; otherwise
 * in double quotes with `"`, `\` and `'` escaped (libxtables/xtables.c).
 */
export function saveString(value: string): string {
  if (SAFE.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/** libxt_string print_string(): always quoted, only `"` and `\` escaped. */
export function alwaysQuoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Options whose value iptables-save prints through xtables_save_string(), by section. */
const SAVE_STRING: Record<string, readonly string[]> = {
  comment: ['--comment'],
  LOG: ['--log-prefix'],
  NFLOG: ['--nflog-prefix'],
  ULOG: ['--ulog-prefix'],
  helper: ['--helper'],
  cgroup: ['--path'],
  nfacct: ['--nfacct-name'],
};

/** Options that are always printed in quotes. */
const ALWAYS_QUOTED: Record<string, readonly string[]> = {
  string: ['--string', '--hex-string'],
  connlabel: ['--label'],
  u32: ['--u32'],
  bpf: ['--bytecode'],
};

/** Byte limits that iptables would otherwise enforce by silently cutting the value (docs/format.md#limits-of-iptables-restore). */
const MAX_BYTES: Record<string, number> = {
  '--comment': 255,
  '--log-prefix': 29,
  '--nflog-prefix': 63,
  '--string': 128,
};

/** Characters that can never be in a value: they would end the line or the argument list. */
const FORBIDDEN = /[\n\r\0]/;
/** Half of a surrogate pair, alone (a JavaScript string can hold one; a UTF-8 file cannot). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** One value of option `flag` in section `section` (a match or target name, or '' for the rule's own options). */
export function quoteValue(section: string, flag: string, value: string): string {
  if (FORBIDDEN.test(value)) {
    throw new DfwError(
      `${flag} value ${JSON.stringify(value)} contains a line break or NUL: iptables-restore would read it as several lines`,
    );
  }
  if (LONE_SURROGATE.test(value)) {
    // Written out as UTF-8 it would become U+FFFD: the kernel would get another value.
    throw new DfwError(
      `${flag} value ${JSON.stringify(value)} holds a lone UTF-16 surrogate, which UTF-8 cannot represent`,
    );
  }
  const max = MAX_BYTES[flag];
  if (max !== undefined && Buffer.byteLength(value, 'utf8') > max) {
    throw new DfwError(
      `${flag} value is ${Buffer.byteLength(value, 'utf8')} bytes: at most ${max} (iptables would silently cut it)`,
    );
  }
  if (SAVE_STRING[section]?.includes(flag)) return saveString(value);
  if (ALWAYS_QUOTED[section]?.includes(flag)) return alwaysQuoted(value);
  if (value === '' || /[\s"]/.test(value)) {
    // iptables-save prints these raw, so a real dump with them cannot be restored
    // (docs/format.md#names-printed-raw); dfw refuses to write one.
    throw new DfwError(
      `${flag} value ${JSON.stringify(value)} is empty or holds a blank or a quote: iptables prints it raw and iptables-restore would split it`,
    );
  }
  return value;
}
