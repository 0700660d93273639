// The iptables dump AST: plain data. Nodes parsed from text keep it in `raw` (the exact
// line, without its line end) and print it back unchanged; nodes built in code have no
// `raw` and print in canonical iptables-save form.

export type TableName = 'filter' | 'nat' | 'mangle' | 'raw' | 'security';
export const TABLES: readonly TableName[] = ['filter', 'nat', 'mangle', 'raw', 'security'];

/** Built-in chains of each table, in the hook order iptables-save prints them. */
export const BUILTIN_CHAINS: Record<TableName, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Packet and byte counters: unsigned 64-bit decimals, kept as text. */
export interface Counters {
  packets: string;
  bytes: string;
}

/** One option: `[!] --flag value…`. */
export interface Option {
  flag: string;
  negated: boolean;
  values: string[];
}

/** A `-m NAME` section and the options that follow it. */
export interface Match {
  name: string;
  options: Option[];
}

/** `-j NAME options…` or `-g CHAIN`. */
export interface Target {
  kind: 'jump' | 'goto';
  name: string;
  options: Option[];
}

/** What a rule matches and does: the rule's own options (-s, -d, -i, -o, -p, -f), its matches, its target. */
export interface RuleSpec {
  options: Option[];
  matches: Match[];
  target?: Target;
}

interface Located {
  /** Exact source line (without line end); absent on nodes built in code. */
  raw?: string;
  /** 1-based source line number. */
  line?: number;
}

export interface CommentLine extends Located {
  kind: 'comment';
  /** The whole line, `#` included. */
  text: string;
}

/** An empty line (iptables-restore skips it). */
export interface BlankLine extends Located {
  kind: 'blank';
}

/** `:CHAIN POLICY [p:b]`: POLICY is ACCEPT/DROP for built-in chains, `-` for user chains. */
export interface ChainDecl extends Located {
  kind: 'chain';
  name: string;
  policy: string;
  counters?: Counters;
}

/** `[p:b] -A CHAIN spec`: what iptables-save prints. */
export interface Rule extends Located {
  kind: 'rule';
  chain: string;
  counters?: Counters;
  readonly spec: RuleSpec;
}

export type CommandOp =
  'insert' | 'check' | 'delete' | 'replace' | 'newchain' | 'delchain' | 'flush' | 'zero' | 'policy' | 'rename';

/** Any other iptables-restore command (-I, -D, -R, -N, -X, -F, -Z, -P, -E, -C). */
export interface Command extends Located {
  kind: 'command';
  op: CommandOp;
  /** The option as written (`-I` or `--insert`). */
  flag: string;
  chain?: string;
  /** Positional arguments after the chain (rule number, policy, new name). */
  args: string[];
  spec?: RuleSpec;
  counters?: Counters;
}

export type Statement = CommentLine | BlankLine | ChainDecl | Rule | Command;

/** `*name` … `COMMIT`. */
export interface Table extends Located {
  kind: 'table';
  name: TableName;
  body: Statement[];
  /** The COMMIT line as parsed (absent on tables built in code). */
  commit?: { raw: string; line: number };
}

export type TopLevel = CommentLine | BlankLine | Table;

export interface IptablesDump {
  kind: 'iptables';
  /** 4 or 6 when the header or content says so. */
  family?: 4 | 6;
  items: TopLevel[];
  /** Whether the text ended with a line end (a missing one is kept as it was). */
  finalNewline: boolean;
}
