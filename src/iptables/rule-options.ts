// The options that belong to a rule itself rather than to a match or target, by every
// spelling iptables accepts (docs/format.md#order-of-the-parts-of-a-rule). One table for the parser (which options to keep
// on the rule wherever they stand), the printer (canonical spelling and iptables-save's order)
// and the accessors.

export interface RuleOptionInfo {
  /** The short spelling iptables-save prints. */
  flag: string;
  /** Place in iptables-save's order; undefined for options it never prints on a rule. */
  order?: number;
}

const spellings: [string, string[], number | undefined][] = [
  ['-s', ['--source', '--src'], 0],
  ['-d', ['--destination', '--dst'], 1],
  ['-i', ['--in-interface'], 2],
  ['-o', ['--out-interface'], 3],
  ['-p', ['--protocol'], 4],
  ['-f', ['--fragment'], 5],
  ['-c', ['--set-counters'], undefined],
  ['-4', ['--ipv4'], undefined],
  ['-6', ['--ipv6'], undefined],
];

export const RULE_OPTIONS: ReadonlyMap<string, RuleOptionInfo> = new Map(
  spellings.flatMap(([flag, long, order]) =>
    [flag, ...long].map((s) => [s, order === undefined ? { flag } : { flag, order }] as const),
  ),
);

/** Every spelling of the rule option whose short form is `flag` (`-s` → -s, --source, --src). */
export function spellingsOf(flag: string): string[] {
  return [...RULE_OPTIONS].filter(([, info]) => info.flag === flag).map(([s]) => s);
}
