// Output for `iptables-restore --noflush`: only what changes, leaving every other chain
// and table as it is on the host (docs/design.md#full-and-noflush,
// docs/format.md#what-a-restore-flushes).
import type { Rule, Table } from '../iptables/ast.js';
import { printRule, printSpec } from '../iptables/print.js';
import type { Family, Policy } from '../policy/types.js';
import type { TransformResult } from './inject.js';

/**
 * The file for `iptables-restore --noflush` that brings the host to `result` (from
 * transformDump) while touching only this policy's chain.
 *
 *   iptables-restore --noflush < <(noflushText(transformDump(dump, policy, { family: 4 }), policy))
 *
 * DOCKER-USER: `:DOCKER-USER - [0:0]` flushes that chain alone (both variants), then its
 * whole new content follows, the admin's own rules included, so nothing is lost.
 * DOCKER: Docker owns it and it must not be flushed, so stale managed rules are deleted by
 * specification and the new ones inserted at the top, last first (no rule numbers: nft
 * 1.8.9 mishandles positions of rules added in the same restore, docs/format.md#commands-inside-a-table).
 */
export function noflushText(result: TransformResult, policy: Policy, family: Family = 4): string {
  const filter = result.dump.items.find((i): i is Table => i.kind === 'table' && i.name === 'filter');
  const tool = family === 6 ? 'ip6tables-restore' : 'iptables-restore';
  const lines = [`# dfw: policy ${policy.name}, chain ${policy.chain}; load with ${tool} --noflush`, '*filter'];
  if (policy.chain === 'DOCKER-USER') {
    lines.push(`:${policy.chain} - [0:0]`);
    // This policy's rules left in other chains (it used to target DOCKER): the flush of
    // DOCKER-USER does not reach them.
    for (const r of result.stale) if (r.chain !== policy.chain) lines.push(`-D ${r.chain} ${printSpec(r.spec)}`);
    if (result.addedJump) lines.push(`-I FORWARD ${printSpec(result.addedJump.spec)}`);
    for (const s of filter?.body ?? []) {
      if (s.kind === 'rule' && s.chain === policy.chain) lines.push(printRule(withoutCounters(s)));
    }
  } else {
    if (result.createdChain) lines.push(`:${policy.chain} - [0:0]`);
    if (result.addedJump) lines.push(`-I FORWARD ${printSpec(result.addedJump.spec)}`);
    for (const r of result.stale) lines.push(`-D ${r.chain} ${printSpec(r.spec)}`);
    for (const r of [...result.rules].reverse()) lines.push(`-I ${r.chain} ${printSpec(r.spec)}`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** A rule's `[p:b]` prefix would only matter with --counters; the live counters stay. */
function withoutCounters(r: Rule): Rule {
  if (r.counters === undefined) return r;
  if (r.raw !== undefined)
    return { kind: 'rule', chain: r.chain, spec: r.spec, raw: r.raw.replace(/^\[\d+:\d+\]\s*/, '') };
  return { kind: 'rule', chain: r.chain, spec: r.spec };
}
