// What changed between two dumps, as lines for `iptables-restore --noflush`: what plugins did
// outside the policy's own chain, and this policy's tagged rules of earlier runs in other tables
// (issue 22: noflush output must carry every change the full output carries).
//
// Per chain, the rules are compared by specification (their printed form): the longest common
// subsequence stays, a rule that goes is deleted by specification (`-D`: the dump shows it), a
// new rule above every kept one is inserted (`-I`, position 1), one below every kept one is
// appended (`-A`). A new rule between kept ones has no position a noflush file can name safely
// (rule numbers are not used: docs/format.md#commands-inside-a-table; and the live chain may hold
// rules added after the save): refused, with --mode full as the way out.
import { DfwError } from '../errors.js';
import { BUILTIN_CHAINS, type IptablesDump, type Rule, type Table } from '../iptables/ast.js';
import { printSpec } from '../iptables/print.js';

/** One table's lines: chain declarations first (before rules that jump to them), then rule lines. */
export interface TableDelta {
  declare: string[];
  lines: string[];
}

const tableOf = (d: IptablesDump, name: string): Table | undefined =>
  d.items.find((t): t is Table => t.kind === 'table' && t.name === name);

/** Chains of a table in order, with their policy and rules. */
function chainsOf(t: Table | undefined): Map<string, { policy: string; rules: Rule[] }> {
  const out = new Map<string, { policy: string; rules: Rule[] }>();
  for (const s of t?.body ?? []) {
    if (s.kind === 'chain') out.set(s.name, { policy: s.policy, rules: out.get(s.name)?.rules ?? [] });
    else if (s.kind === 'rule') {
      const c = out.get(s.chain) ?? { policy: '-', rules: [] };
      c.rules.push(s);
      out.set(s.chain, c);
    }
  }
  return out;
}

/**
 * The noflush lines that bring table `name` of `before` to that of `after`, leaving out the
 * chains in `skip` (the owned chain, printed whole). Undefined when nothing changes.
 */
export function tableDelta(
  before: IptablesDump,
  after: IptablesDump,
  name: string,
  skip: ReadonlySet<string>,
): TableDelta | undefined {
  const a = chainsOf(tableOf(before, name));
  const b = chainsOf(tableOf(after, name));
  const builtin = BUILTIN_CHAINS[name as keyof typeof BUILTIN_CHAINS] ?? [];
  const out: TableDelta = { declare: [], lines: [] };
  const removed: string[] = [];
  for (const [chain, want] of b) {
    if (skip.has(chain)) continue;
    const have = a.get(chain);
    if (have === undefined && !builtin.includes(chain)) out.declare.push(`:${chain} - [0:0]`);
    if (have !== undefined && builtin.includes(chain) && have.policy !== want.policy)
      throw new DfwError(
        `a plugin changed the policy of ${name} ${chain} (${have.policy} → ${want.policy}): --mode noflush does not change built-in policies; use --mode full`,
      );
    out.lines.push(...chainDelta(name, chain, have?.rules ?? [], want.rules));
  }
  for (const chain of a.keys()) {
    if (skip.has(chain) || b.has(chain) || builtin.includes(chain)) continue;
    removed.push(`-F ${chain}`, `-X ${chain}`);
  }
  // Rules that jump to a removed chain are deleted above, before the chain goes.
  out.lines.push(...removed);
  return out.declare.length + out.lines.length === 0 ? undefined : out;
}

/** `-D`, `-I` and `-A` lines that turn the rules `have` of a chain into `want`. */
function chainDelta(table: string, chain: string, have: readonly Rule[], want: readonly Rule[]): string[] {
  const x = have.map((r) => printSpec(r.spec));
  const y = want.map((r) => printSpec(r.spec));
  if (x.length === y.length && x.every((s, i) => s === y[i])) return [];
  const keptY = commonSubsequence(x, y);
  const keptX = new Set(keptY.map(([i]) => i));
  const inY = new Set(keptY.map(([, j]) => j));
  const lines = x.flatMap((s, i) => (keptX.has(i) ? [] : [`-D ${chain} ${s}`]));
  const top: string[] = [];
  const end: string[] = [];
  let kept = 0;
  y.forEach((s, j) => {
    if (inY.has(j)) {
      kept++;
      return;
    }
    if (kept === keptY.length) end.push(s);
    else if (kept === 0) top.push(s);
    else
      throw new DfwError(
        `a plugin put \`-A ${chain} ${s}\` (table ${table}) between rules the chain keeps: --mode noflush can only insert at the top of a chain or append; use --mode full`,
      );
  });
  // Inserted at position 1 one after the other: the last one inserted ends on top.
  return [...lines, ...top.reverse().map((s) => `-I ${chain} ${s}`), ...end.map((s) => `-A ${chain} ${s}`)];
}

/** Index pairs of a longest common subsequence of two lists of lines (common ends first). */
function commonSubsequence(x: readonly string[], y: readonly string[]): [number, number][] {
  let p = 0;
  while (p < x.length && p < y.length && x[p] === y[p]) p++;
  let q = 0;
  while (q < x.length - p && q < y.length - p && x[x.length - 1 - q] === y[y.length - 1 - q]) q++;
  const n = x.length - p - q;
  const m = y.length - p - q;
  if (n * m > 4_000_000)
    throw new DfwError('a plugin changed too much of one chain for --mode noflush to follow; use --mode full');
  // dp[i][j]: length of the LCS of x[p+i..] and y[p+j..] (middle parts only).
  const dp = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i]![j] = x[p + i] === y[p + j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const out: [number, number][] = [];
  for (let k = 0; k < p; k++) out.push([k, k]);
  for (let i = 0, j = 0; i < n && j < m;) {
    if (x[p + i] === y[p + j]) {
      out.push([p + i, p + j]);
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) i++;
    else j++;
  }
  for (let k = q; k > 0; k--) out.push([x.length - k, y.length - k]);
  return out;
}

/** Names of the tables of a dump, in order. */
export function tableNames(d: IptablesDump): string[] {
  return d.items.flatMap((t) => (t.kind === 'table' ? [t.name] : []));
}
