// Removes what dfw added: the tagged rules of one policy (or of every policy), its jump, and the
// chain it owns. Nothing else changes.
import type { IptablesDump, Rule, Statement, Table } from '../iptables/ast.js';
import { isManaged } from '../iptables/managed.js';
import { tableIncludes } from '../iptables/parsed.js';
import { printSpec } from '../iptables/print.js';
import { ruleComments } from '../iptables/rule.js';
import { OWNED_CHAIN_PREFIX, managedPrefix, ownedChain } from '../policy/compile.js';
import type { Family } from '../policy/types.js';

export interface StripOptions {
  /** Policy name; omit to strip every `dfw:` rule and every chain a policy owns. */
  policy?: string;
}

/** What stripping does to one table. */
interface TablePlan {
  body: Statement[];
  /** Tagged rules outside the owned chains (jumps, the layout before owned chains): deleted by specification. */
  deleted: Rule[];
  /** Owned chains found in the table: flushed. */
  flushed: string[];
  /** Owned chains that no remaining rule jumps to: removed. */
  removed: string[];
}

/**
 * The chains owned by the policies whose tags the table holds: `DFW-<p>` for every `dfw:<p>:…`
 * tag, when such a chain is declared. A chain merely named `DFW-…` with no dfw rule anywhere is
 * not dfw's.
 */
function ownedChains(body: readonly Statement[], prefix: string, policy: string | undefined): Set<string> {
  const declared = new Set(body.flatMap((s) => (s.kind === 'chain' ? [s.name] : [])));
  const out = new Set<string>();
  if (policy !== undefined) {
    if (declared.has(ownedChain(policy))) out.add(ownedChain(policy));
    return out;
  }
  for (const s of body) {
    if (s.kind !== 'rule' || !isManaged(s, prefix)) continue;
    for (const c of ruleComments(s)) {
      const name = /^dfw:([^:]+):/.exec(c)?.[1];
      if (name !== undefined && declared.has(ownedChain(name))) out.add(ownedChain(name));
    }
  }
  return out;
}

function planTable(table: Table, prefix: string, policy: string | undefined): TablePlan | undefined {
  // Most tables hold no dfw rule: find out from the source lines, without building nodes.
  const owned = policy === undefined ? OWNED_CHAIN_PREFIX : ownedChain(policy);
  if (!tableIncludes(table, prefix) && !tableIncludes(table, owned)) return undefined;
  const chains = ownedChains(table.body, prefix, policy);
  const deleted: Rule[] = [];
  const body = table.body.filter((s) => {
    if (s.kind !== 'rule') return true;
    if (chains.has(s.chain)) return false;
    if (!isManaged(s, prefix)) return true;
    deleted.push(s);
    return false;
  });
  // A rule dfw did not write may still jump to the chain: the chain stays, emptied, so that
  // the rule stays valid (a jump to an empty chain changes nothing).
  const targets = new Set(body.flatMap((s) => (s.kind === 'rule' && s.spec.target ? [s.spec.target.name] : [])));
  const removed = [...chains].filter((c) => !targets.has(c));
  const kept = body.filter((s) => s.kind !== 'chain' || !removed.includes(s.name));
  if (kept.length === table.body.length) return undefined;
  return { body: kept, deleted, flushed: [...chains], removed };
}

/**
 * A new dump without the managed rules of one policy (or of every policy), its jump and the
 * chain it owns; untouched tables are shared, not copied.
 *
 *   printIptables(stripDump(parseIptables(saved), { policy: 'web' }));
 */
export function stripDump(dump: IptablesDump, options: StripOptions = {}): IptablesDump {
  const prefix = managedPrefix(options.policy);
  let changed = false;
  const items = dump.items.map((item) => {
    if (item.kind !== 'table') return item;
    const plan = planTable(item, prefix, options.policy);
    if (plan === undefined) return item;
    changed = true;
    return { ...item, body: plan.body } satisfies Table;
  });
  return changed ? { ...dump, items } : dump;
}

/**
 * The same for `iptables-restore --noflush`, so that undoing a policy on a live host touches no
 * other rule and does not reload Docker's tables: each tagged rule outside the owned chains
 * deleted by specification (the dump shows it, so the delete cannot fail), then each owned
 * chain flushed and removed, in one commit per table.
 */
export function stripNoflushText(dump: IptablesDump, options: StripOptions = {}, family: Family = 4): string {
  const prefix = managedPrefix(options.policy);
  const what = options.policy === undefined ? 'every dfw policy' : `policy ${options.policy}`;
  const lines = [
    `# dfw strip: ${what}; load with ${family === 6 ? 'ip6tables-restore' : 'iptables-restore'} --noflush`,
  ];
  for (const item of dump.items) {
    if (item.kind !== 'table') continue;
    const plan = planTable(item, prefix, options.policy);
    if (plan === undefined) continue;
    lines.push(`*${item.name}`);
    for (const r of plan.deleted) lines.push(`-D ${r.chain} ${printSpec(r.spec)}`);
    for (const c of plan.flushed) lines.push(`-F ${c}`);
    for (const c of plan.removed) lines.push(`-X ${c}`);
    lines.push('COMMIT');
  }
  lines.push('');
  return lines.join('\n');
}
