// Either kind of dump dfw reads, recognised by its content.
import { DfwError } from './errors.js';
import type { IptablesDump } from './iptables/ast.js';
import { iptablesFromJson, iptablesToJson } from './iptables/json.js';
import { parseIptables } from './iptables/parse.js';
import { printIptables, printIptablesChunks } from './iptables/print.js';
import type { IpsetDump } from './ipset/ast.js';
import { looksLikeIpset } from './ipset/detect.js';
import { ipsetFromJson, ipsetToJson } from './ipset/json.js';
import { parseIpset } from './ipset/parse.js';
import { printIpset } from './ipset/print.js';

export type Dump = IptablesDump | IpsetDump;

export function isIptablesDump(dump: Dump): dump is IptablesDump {
  return dump.kind === 'iptables';
}

export interface ParseDumpOptions {
  file?: string;
  /** Force the format instead of recognising it. */
  format?: 'iptables' | 'ipset' | undefined;
}

/** Parses an iptables-save or ipset save dump, recognised by its content unless `format` says. */
export function parseDump(text: string, options: ParseDumpOptions = {}): Dump {
  const file = options.file ?? '<input>';
  const format = options.format ?? (looksLikeIpset(text) ? 'ipset' : 'iptables');
  return format === 'ipset' ? parseIpset(text, file) : parseIptables(text, { file });
}

export function printDump(dump: Dump): string {
  return isIptablesDump(dump) ? printIptables(dump) : printIpset(dump);
}

/** The same text as printDump, in chunks (for big dumps). */
export function printDumpChunks(dump: Dump, emit: (chunk: string) => void): void {
  if (isIptablesDump(dump)) printIptablesChunks(dump, emit);
  else emit(printIpset(dump));
}

/** The versioned JSON form of a dump (what `dfw parse` prints). */
export function dumpToJson(dump: Dump): object {
  return isIptablesDump(dump) ? iptablesToJson(dump) : ipsetToJson(dump);
}

/** A dump from its JSON form; errors name the file and the JSON path of the bad node. */
export function dumpFromJson(value: unknown, file: string): Dump {
  try {
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    return kind === 'ipset' ? ipsetFromJson(value, file) : iptablesFromJson(value);
  } catch (e) {
    if (e instanceof DfwError) throw new DfwError(`${file}: ${e.message}`);
    throw e;
  }
}
