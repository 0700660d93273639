// The options that belong to a rule itself rather than to a match or target, by every
// spelling iptables accepts (docs/format.md#order-of-the-parts-of-a-rule). One table for the lexer and the scan (how many
// words each takes), the parser (which options to keep on the rule wherever they stand), the
// printer (canonical spelling and iptables-save's order) and the accessors.

export interface RuleOptionInfo {
  /** The short spelling iptables-save prints. */
  flag: string;
  /** Place in iptables-save's order; undefined for options it never prints on a rule. */
  order?: number;
  /** How many words follow it (getopt: none for a flag, one for an argument, two for -c). */
  values: number;
}

// [short flag, long spellings, order, values]
const spellings: [string, string[], number | undefined, number][] = [
  ['-s', ['--source', '--src'], 0, 1],
  ['-d', ['--destination', '--dst'], 1, 1],
  ['-i', ['--in-interface'], 2, 1],
  ['-o', ['--out-interface'], 3, 1],
  ['-p', ['--protocol'], 4, 1],
  ['-f', ['--fragment'], 5, 0],
  ['-c', ['--set-counters'], undefined, 2],
  ['-4', ['--ipv4'], undefined, 0],
  ['-6', ['--ipv6'], undefined, 0],
];

export const RULE_OPTIONS: ReadonlyMap<string, RuleOptionInfo> = new Map(
  spellings.flatMap(([flag, long, order, values]) =>
    [flag, ...long].map((s) => [s, order === undefined ? { flag, values } : { flag, order, values }] as const),
  ),
);

/** Every spelling of the rule option whose short form is `flag` (`-s` → -s, --source, --src). */
export function spellingsOf(flag: string): string[] {
  return [...RULE_OPTIONS].filter(([, info]) => info.flag === flag).map(([s]) => s);
}
