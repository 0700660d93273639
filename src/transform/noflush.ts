// Output for `iptables-restore --noflush`: only what changes, leaving every other chain
// and table as it is on the host (docs/design.md#full-and-noflush, docs/format.md#what-a-restore-flushes).
//
// With plugins, the changes they made outside the owned chain, and this policy's tagged rules of
// earlier runs in other tables, follow as -D/-I/-A lines (noflush-delta.ts).
//
// Facts of the real tools this file relies on (iptables 1.8.9, nft and legacy, v4 and v6,
// checked in network namespaces; test/transform-real.test.ts and test/lab-ownchain.test.ts
// load these files):
// - `:CHAIN - [0:0]` in a --noflush restore flushes an existing user chain, jumps to it
//   included untouched, and creates a missing one.
// - `-D CHAIN spec` of a rule that is not there fails the whole restore ("Bad rule (does a
//   matching rule exist in that chain?)"): only rules the input dump shows are deleted.
// - `-D` by specification then `-I CHAIN spec` (no number: position 1) in the same restore
//   moves a rule to the top on both variants; rule numbers are not used (nft 1.8.9 mishandles
//   positions of rules added in the same restore, docs/format.md#commands-inside-a-table).
// - `-F CHAIN` then `-X CHAIN` removes a chain in one restore once no rule jumps to it; `-X`
//   of a chain that still holds rules fails (nft: "CHAIN_DEL failed (Device or resource busy)").
import type { IptablesDump, Rule, Table } from '../iptables/ast.js';
import { editRule } from '../iptables/build.js';
import { printRule, printSpec } from '../iptables/print.js';
import { compilePolicy, jumpRule, ownedChain } from '../policy/compile.js';
import { sourceText } from '../source.js';
import type { Family, Policy } from '../policy/types.js';
import type { TransformResult } from './inject.js';
import { tableDelta, tableNames } from './noflush-delta.js';

const restoreTool = (family: Family): string => (family === 6 ? 'ip6tables-restore' : 'iptables-restore');

/**
 * The file for `iptables-restore --noflush` that brings the host to `result` (from
 * transformDump) in one commit, touching only this policy's chain and its jump:
 *
 *   iptables-restore --noflush < <(noflushText(transformDump(dump, policy, { family: 4 }), policy))
 *
 * It declares the owned chain (flushed and refilled), deletes by specification this policy's
 * rules the dump holds elsewhere (the layout before the owned chain, a misplaced or duplicated
 * jump), and inserts the jump at the top of DOCKER-USER (or DOCKER) only when the dump does not
 * already have it there. DOCKER-USER and DOCKER are never declared when they exist: other
 * tools' rules there (the CrowdSec bouncer's, fail2ban's, an admin's) stay, even those added
 * after the dump was saved.
 */
export function noflushText(
  result: TransformResult,
  policy: Policy,
  family: Family = 4,
  from?: NoflushSources,
): string {
  const filter = result.dump.items.find((i): i is Table => i.kind === 'table' && i.name === 'filter');
  const owned = new Set([result.ownedChain, ...(result.createdChain ? [policy.chain] : [])]);
  const plugin = from && tableDelta(from.transformed ?? result.dump, result.dump, 'filter', owned);
  const lines = [
    `# dfw: policy ${policy.name}, chain ${result.ownedChain} (jumped to from ${policy.chain}); load with ${restoreTool(family)} --noflush`,
    '*filter',
  ];
  if (result.createdChain) lines.push(`:${policy.chain} - [0:0]`);
  lines.push(`:${result.ownedChain} - [0:0]`, ...(plugin?.declare ?? []));
  if (result.addedJump) lines.push(`-I FORWARD ${printSpec(result.addedJump.spec)}`);
  for (const r of result.stale) lines.push(`-D ${r.chain} ${printSpec(r.spec)}`);
  // Back to the top of FORWARD: delete by specification, then insert (position 1).
  if (result.movedForward) {
    const spec = printSpec(result.movedForward.spec);
    lines.push(`-D FORWARD ${spec}`, `-I FORWARD ${spec}`);
  }
  for (const s of filter?.body ?? []) {
    if (s.kind === 'rule' && s.chain === result.ownedChain) lines.push(withoutCounters(s));
  }
  if (result.insertJump) lines.push(`-I ${policy.chain} ${printSpec(result.jump.spec)}`);
  lines.push(...(plugin?.lines ?? []), 'COMMIT');
  if (from !== undefined) lines.push(...otherTables(from.input, result.dump));
  lines.push('');
  return lines.join('\n');
}

/** Where the noflush file of a transform with plugins takes the changes outside the owned chain from. */
export interface NoflushSources {
  /** The dump the transform read: its tables other than filter are brought to the result's. */
  input: IptablesDump;
  /** What transformDump gave, before the plugins ran: the filter table's other chains are brought from it. */
  transformed?: IptablesDump;
}

/** The sections of the tables other than filter that differ: plugins' rules, this policy's stale tagged ones. */
function otherTables(input: IptablesDump, result: IptablesDump): string[] {
  const names = [...new Set([...tableNames(input), ...tableNames(result)])].filter((n) => n !== 'filter');
  return names.flatMap((name) => {
    const d = tableDelta(input, result, name, new Set());
    return d === undefined ? [] : [`*${name}`, ...d.declare, ...d.lines, 'COMMIT'];
  });
}

/**
 * The owned chain from the policy alone, for `iptables-restore --noflush` at boot and on every
 * reload (the bundle's rules.v4 / rules.v6, `dfw transform --mode noflush --no-dump`): the chain
 * declared (created, or flushed when it exists) and filled. No jump, and no Docker chain: a
 * static file cannot add a rule only when it is missing, so the jump is added by jumpCommand().
 */
export function ownedChainText(policy: Policy, family: Family): string {
  const owned = ownedChain(policy.name);
  return [
    `# dfw: policy ${policy.name}, chain ${owned} (jumped to from ${policy.chain}); load with ${restoreTool(family)} --noflush`,
    `# This file fills ${owned} only. The jump to it is added when missing, at the top of ${policy.chain}:`,
    `#   ${jumpCommand(policy, family)}`,
    '*filter',
    `:${owned} - [0:0]`,
    ...compilePolicy(policy, family).map(printRule),
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * A shell command that makes the policy's chain exist (at boot, before Docker, DOCKER-USER does
 * not) and adds the jump at its top when it is not there: a reload never duplicates it, and
 * never moves or touches any other rule. `bin` is the folder of the iptables tools.
 */
export function jumpCommand(policy: Policy, family: Family, bin = ''): string {
  const ipt = `${bin === '' ? '' : `${bin}/`}${family === 6 ? 'ip6tables' : 'iptables'} -w`;
  const spec = printSpec(jumpRule(policy).spec);
  // `-n -L` and `-C` print to stderr when the chain or the rule is missing: that is the
  // expected case at boot, not an error.
  return (
    `${ipt} -n -L ${policy.chain} >/dev/null 2>&1 || ${ipt} -N ${policy.chain}; ` +
    `${ipt} -C ${policy.chain} ${spec} 2>/dev/null || ${ipt} -I ${policy.chain} ${spec}`
  );
}

/**
 * A rule's line without its `[p:b]` prefix, which iptables-restore reads only with --counters.
 * The owned chain is declared, so its rules start again from zero; rules the file does not name
 * (an admin's in DOCKER-USER, which is never declared) keep their live counters (checked on the
 * real restore in test/defects-noflush.test.ts).
 */
function withoutCounters(r: Rule): string {
  const source = sourceText(r);
  if (source !== undefined) return source.replace(/^\[\d+:\d+\]\s*/, '');
  return printRule(r.counters === undefined ? r : editRule(r, { counters: undefined }));
}
