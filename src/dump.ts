// Either kind of dump dfw reads, recognised by its content.
import { DfwError } from './errors.js';
import type { IptablesDump } from './iptables/ast.js';
import { iptablesFromJson, iptablesToJson } from './iptables/json.js';
import { parseIptables } from './iptables/parse.js';
import { printIptables, printIptablesChunks } from './iptables/print.js';

export type Dump = IptablesDump;

export interface ParseDumpOptions {
  file?: string;
  /** Force the format instead of recognising it. */
  format?: 'iptables' | 'ipset' | undefined;
}

export function parseDump(text: string, options: ParseDumpOptions = {}): Dump {
  return parseIptables(text, { file: options.file });
}

export function printDump(dump: Dump): string {
  return printIptables(dump);
}

/** The same text as printDump, in chunks (for big dumps). */
export function printDumpChunks(dump: Dump, emit: (chunk: string) => void): void {
  printIptablesChunks(dump, emit);
}

/** The versioned JSON form of a dump (what `dfw parse` prints). */
export function dumpToJson(dump: Dump): object {
  return iptablesToJson(dump);
}

/** A dump from its JSON form; errors name the file and the JSON path of the bad node. */
export function dumpFromJson(value: unknown, file: string): Dump {
  try {
    return iptablesFromJson(value);
  } catch (e) {
    if (e instanceof DfwError) throw new DfwError(`${file}: ${e.message}`);
    throw e;
  }
}
