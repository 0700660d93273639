// The words of an iptables-restore line that select a grammar rule, in one table: the
// commands iptables-restore reads inside a table block (docs/format.md#commands-inside-a-table, checked against
// iptables 1.8.9) and the section flags of a rule spec (-m, -j, -g), each by both spellings.
// The lexer's token types, the scan's and the shape cache's key characters, the token types
// the grammar may name, the parser's ops and messages, the printer's flags and the JSON
// form's op names are all read from here. grammar/iptables.ne still says what follows each
// command; test/iptables-commands.test.ts checks that it accepts exactly the `forms` below.
import type { CommandOp } from './ast.js';

/**
 * A word that may follow a command's flag: `?` marks one that may be left out (only at the
 * end: `-Z [CHAIN [N]]`). `spec` is a rule spec (options, matches, target; possibly empty).
 */
export type Slot = 'chain' | 'chain?' | 'rulenum' | 'rulenum?' | 'policy' | 'newname' | 'spec';

export interface FlagWord {
  /** The grammar's token type. */
  readonly token: string;
  readonly short: string;
  readonly long: string;
  /** Its character in a shape key (src/iptables/shape.ts); unique among all token types. */
  readonly code: string;
}

export interface CommandWord extends FlagWord {
  /** The op in the AST: `append` makes a Rule node, every other one a Command with this op. */
  readonly op: 'append' | CommandOp;
  /** What iptables accepts after the flag, one list of slots per form (iptables -h). */
  readonly forms: readonly (readonly Slot[])[];
  /**
   * Whether iptables-restore --counters accepts a `[p:b]` prefix on it: the prefix becomes
   * `-c P B`, which iptables takes only with -A, -I, -R and -P; with the others it fails
   * ("Illegal option `-c' with this command"), and without --counters it is ignored. [OBS]
   */
  readonly counters: boolean;
}

// Order: the order of the parser's message "expected a command (-A, -I, …)".
// `del`, not `delete`: nearley's generated code names each token type as a JS identifier.
// prettier-ignore
export const COMMANDS = [
  { op: 'append',   token: 'append',   short: '-A', long: '--append',       code: 'A', counters: true,  forms: [['chain', 'spec']] },
  { op: 'insert',   token: 'insert',   short: '-I', long: '--insert',       code: 'I', counters: true,  forms: [['chain', 'rulenum?', 'spec']] },
  { op: 'delete',   token: 'del',      short: '-D', long: '--delete',       code: 'D', counters: false, forms: [['chain', 'spec'], ['chain', 'rulenum']] },
  { op: 'replace',  token: 'replace',  short: '-R', long: '--replace',      code: 'R', counters: true,  forms: [['chain', 'rulenum', 'spec']] },
  { op: 'newchain', token: 'newchain', short: '-N', long: '--new-chain',    code: 'N', counters: false, forms: [['chain']] },
  { op: 'delchain', token: 'delchain', short: '-X', long: '--delete-chain', code: 'X', counters: false, forms: [['chain?']] },
  { op: 'flush',    token: 'flush',    short: '-F', long: '--flush',        code: 'F', counters: false, forms: [['chain?']] },
  { op: 'zero',     token: 'zero',     short: '-Z', long: '--zero',         code: 'Z', counters: false, forms: [['chain?'], ['chain', 'rulenum']] },
  { op: 'policy',   token: 'policy',   short: '-P', long: '--policy',       code: 'P', counters: true,  forms: [['chain', 'policy']] },
  { op: 'rename',   token: 'rename',   short: '-E', long: '--rename-chain', code: 'E', counters: false, forms: [['chain', 'newname']] },
  // `K`: `C` is COMMIT's key character.
  { op: 'check',    token: 'check',    short: '-C', long: '--check',        code: 'K', counters: false, forms: [['chain', 'spec']] },
] as const satisfies readonly CommandWord[];

/** The flags that open a section of a rule spec: a match, the target, a goto. */
export const SECTIONS = [
  { token: 'match', short: '-m', long: '--match', code: 'm' },
  { token: 'jump', short: '-j', long: '--jump', code: 'j' },
  { token: 'goto', short: '-g', long: '--goto', code: 'g' },
] as const satisfies readonly FlagWord[];

/**
 * Commands iptables-restore also accepts inside a table that dfw refuses, with why: none
 * changes the rules, and two of them end the restore early. [OBS, iptables 1.8.9, both variants]
 */
export const REFUSED_COMMANDS: readonly { short: string; long: string; reason: string }[] = [
  { short: '-L', long: '--list', reason: 'lists rules on standard output and changes nothing' },
  { short: '-S', long: '--list-rules', reason: 'prints rules on standard output and changes nothing' },
  {
    short: '-V',
    long: '--version',
    reason: 'makes iptables-restore print its version and exit 0 without applying anything',
  },
  {
    short: '-h',
    long: '--help',
    reason: 'makes iptables-restore print its help and exit 0 without applying anything',
  },
];

export type CommandToken = (typeof COMMANDS)[number]['token'];
export type SectionToken = (typeof SECTIONS)[number]['token'];
export type FlagToken = CommandToken | SectionToken;

// Every CommandOp of the AST has a row (`satisfies` above checks the other way): a missing
// op is a type error here that names it.
type MissingOp = Exclude<CommandOp, (typeof COMMANDS)[number]['op']>;
const noOpMissing: [MissingOp] extends [never] ? true : MissingOp = true;
void noOpMissing;

/** The ops of Command nodes (every command but -A, which makes a Rule), in table order. */
export const COMMAND_OPS: readonly CommandOp[] = COMMANDS.flatMap((c) => (c.op === 'append' ? [] : [c.op]));

const BY_OP = new Map<string, CommandWord>(COMMANDS.map((c) => [c.op, c]));
const BY_TOKEN = new Map<string, CommandWord>(COMMANDS.map((c) => [c.token, c]));

/** The row of an op (`append` included). */
export function commandOf(op: CommandOp | 'append'): CommandWord {
  return BY_OP.get(op)!;
}

/** The row of a command token type, or undefined for any other token type. */
export function commandOfToken(token: string): CommandWord | undefined {
  return BY_TOKEN.get(token);
}

/** Every flag word, commands then sections. */
export const FLAG_WORDS: readonly (FlagWord & { token: FlagToken })[] = [...COMMANDS, ...SECTIONS];

/** Why a `[p:b]` prefix cannot stand before command `c`, or undefined when it can. */
export function countersProblem(c: CommandWord): string | undefined {
  if (c.counters) return undefined;
  return `a [packets:bytes] prefix before ${c.short}: iptables-restore --counters fails on it ("Illegal option \`-c' with this command") and without --counters ignores it`;
}

/** Why dfw refuses a command word that iptables-restore knows (`-L`, `--list`…), or undefined. */
export function refusedCommand(word: string): string | undefined {
  const r = REFUSED_COMMANDS.find((c) => c.short === word || c.long === word);
  return r === undefined ? undefined : `\`${word}\` ${r.reason}: it has no place in a dump (remove the line)`;
}
