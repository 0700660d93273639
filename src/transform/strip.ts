// Removes managed rules: those of one policy, or every dfw rule. Nothing else changes.
import type { IptablesDump, Statement, Table } from '../iptables/ast.js';
import { isManaged } from '../iptables/managed.js';
import { tableIncludes } from '../iptables/parsed.js';
import { managedPrefix } from '../policy/compile.js';

export interface StripOptions {
  /** Policy name; omit to strip every `dfw:` rule. */
  policy?: string;
}

/** The body without managed rules; the same array when there were none (no copy). */
export function stripBody(body: readonly Statement[], prefix: string): readonly Statement[] {
  const kept = body.filter((s) => s.kind !== 'rule' || !isManaged(s, prefix));
  return kept.length === body.length ? body : kept;
}

/**
 * A new dump without the managed rules of one policy (or of every policy); untouched tables
 * are shared, not copied.
 *
 *   printIptables(stripDump(parseIptables(saved), { policy: 'web' }));
 */
export function stripDump(dump: IptablesDump, options: StripOptions = {}): IptablesDump {
  const prefix = managedPrefix(options.policy);
  let changed = false;
  const items = dump.items.map((item) => {
    if (item.kind !== 'table') return item;
    // Most tables hold no managed rule: find out from the source lines, without building nodes.
    if (!tableIncludes(item, prefix)) return item;
    const body = stripBody(item.body, prefix);
    if (body === item.body) return item;
    changed = true;
    return { ...item, body } satisfies Table;
  });
  return changed ? { ...dump, items } : dump;
}
