// Either kind of dump dfw reads, recognised by its content.
import type { IptablesDump } from './iptables/ast.js';
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
