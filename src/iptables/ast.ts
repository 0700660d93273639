// The iptables dump AST: plain, read-only data. Nodes parsed from text are frozen and keep
// their line (`source`), which they print as; nodes built in code, and edited copies, have no
// source and print in canonical iptables-save form (docs/library.md "The source-text rule").
import type { SourceText } from '../source.js';

export type { SourceText } from '../source.js';

/** An address family, as the API names it everywhere (ipset's files say inet / inet6). */
export type Family = 4 | 6;

export type TableName = 'filter' | 'nat' | 'mangle' | 'raw' | 'security';
export const TABLES: readonly TableName[] = ['filter', 'nat', 'mangle', 'raw', 'security'];

/** Built-in chains of each table, in the hook order iptables-save prints them. */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Packet and byte counters: unsigned 64-bit decimals, kept as text. */
export interface Counters {
  readonly packets: string;
  readonly bytes: string;
}

/** One option: `[!] --flag value…`. */
export interface Option {
  readonly flag: string;
  readonly negated: boolean;
  readonly values: readonly string[];
}

/** A `-m NAME` section and the options that follow it. */
export interface Match {
  readonly name: string;
  readonly options: readonly Option[];
}

/** `-j NAME options…` or `-g CHAIN`. */
export interface Target {
  readonly kind: 'jump' | 'goto';
  readonly name: string;
  readonly options: readonly Option[];
}

/** What a rule matches and does: the rule's own options (-s, -d, -i, -o, -p, -f), its matches, its target. */
export interface RuleSpec {
  readonly options: readonly Option[];
  readonly matches: readonly Match[];
  readonly target?: Target;
}

interface Located {
  /** The line the node was read from; absent on nodes built in code and on edited copies. */
  readonly source?: SourceText;
}

export interface CommentLine extends Located {
  readonly kind: 'comment';
  /** The whole line, `#` included. */
  readonly text: string;
}

/** An empty line (iptables-restore skips it). */
export interface BlankLine extends Located {
  readonly kind: 'blank';
}

/** `:CHAIN POLICY [p:b]`: POLICY is ACCEPT/DROP for built-in chains, `-` for user chains. */
export interface ChainDecl extends Located {
  readonly kind: 'chain';
  readonly name: string;
  readonly policy: string;
  readonly counters?: Counters;
}

/** `[p:b] -A CHAIN spec`: what iptables-save prints. */
export interface Rule extends Located {
  readonly kind: 'rule';
  readonly chain: string;
  readonly counters?: Counters;
  readonly spec: RuleSpec;
}

export type CommandOp =
  'insert' | 'check' | 'delete' | 'replace' | 'newchain' | 'delchain' | 'flush' | 'zero' | 'policy' | 'rename';

/** Any other iptables-restore command (-I, -D, -R, -N, -X, -F, -Z, -P, -E, -C). */
export interface Command extends Located {
  readonly kind: 'command';
  readonly op: CommandOp;
  /** The option as written (`-I` or `--insert`). */
  readonly flag: string;
  readonly chain?: string;
  /** Positional arguments after the chain (rule number, policy, new name). */
  readonly args: readonly string[];
  readonly spec?: RuleSpec;
  readonly counters?: Counters;
}

export type Statement = CommentLine | BlankLine | ChainDecl | Rule | Command;

/** `*name` … `COMMIT`. `source` is the `*name` line. */
export interface Table extends Located {
  readonly kind: 'table';
  readonly name: TableName;
  readonly body: readonly Statement[];
  /** The COMMIT line as parsed (absent on tables built in code). */
  readonly commit?: SourceText;
}

export type TopLevel = CommentLine | BlankLine | Table;

export interface IptablesDump {
  readonly kind: 'iptables';
  /** 4 or 6 when the header or content says so. */
  readonly family?: Family;
  readonly items: readonly TopLevel[];
  /** Whether the text ended with a line end (a missing one is kept as it was). */
  readonly finalNewline: boolean;
}
