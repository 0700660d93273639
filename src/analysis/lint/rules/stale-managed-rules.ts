// dfw-tagged rules that are not what the given policy compiles to: an older version of the
// policy, a hand edit, or the layout before the owned chain (README "Where dfw's rules live").
import type { Rule } from '../../../iptables/ast.js';
import { isManaged } from '../../../iptables/managed.js';
import { printSpec } from '../../../iptables/print.js';
import type { IpsetDump } from '../../../ipset/ast.js';
import {
  compilePolicy,
  forwardJumpRule,
  jumpRule,
  managedPrefix,
  ownedChain,
  type SetFamily,
} from '../../../policy/compile.js';
import type { Policy } from '../../../policy/types.js';
import { lineOf } from '../../../docker/layout-rule.js';
import type { LintRule, LintedDump, Reporter } from '../types.js';

const REAPPLY = '`iptables-save | dfw transform --policy P --mode noflush | iptables-restore --noflush`';

/** The owned chain's rules against the compiled ones, in order. */
function checkOwnedChain(d: LintedDump, policy: Policy, expected: string[], report: Reporter): void {
  const owned = ownedChain(policy.name);
  // Without the chain, the tagged rules elsewhere (the layout before it) are what is stale.
  if (!d.view.decls('filter').has(owned)) return;
  const have = d.view.rules('filter', owned);
  const wanted = new Set(expected);
  // Order is worth a finding only when the rules are the policy's own, all there, and moved.
  let orderReported = have.length !== expected.length || have.some((r) => !wanted.has(printSpec(r.spec)));
  have.forEach((r, i) => {
    const spec = printSpec(r.spec);
    if (spec === expected[i]) return;
    if (!wanted.has(spec)) {
      report(
        d,
        { node: r },
        `${owned} holds a rule that policy ${policy.name} does not make (older policy or hand edit)`,
        `re-apply the policy: ${REAPPLY}`,
      );
    } else if (!orderReported) {
      orderReported = true;
      report(
        d,
        { node: r },
        `${owned}'s rules are not in the order policy ${policy.name} gives them (line ${lineOf(r)} is rule ${expected.indexOf(spec) + 1} of the policy)`,
        `re-apply the policy: ${REAPPLY}`,
      );
    }
  });
  const present = new Set(have.map((r) => printSpec(r.spec)));
  const missing = expected.filter((s) => !present.has(s));
  if (missing.length > 0) {
    const decl = d.view.decls('filter').get(owned);
    report(
      d,
      { node: decl ?? have[0] ?? d.dump },
      `${owned} lacks ${missing.length} rule(s) of policy ${policy.name}, first: -A ${owned} ${missing[0]}`,
      `re-apply the policy: ${REAPPLY}`,
    );
  }
}

/** Tagged rules of the policy outside its chain: only the jump (and --create-chain's FORWARD jump) belong there. */
function checkOutside(d: LintedDump, policy: Policy, tagged: Rule[], report: Reporter): void {
  const owned = ownedChain(policy.name);
  const jump = printSpec(jumpRule(policy).spec);
  const forward = printSpec(forwardJumpRule(policy).spec);
  let jumps = 0;
  for (const r of tagged) {
    const spec = printSpec(r.spec);
    if (r.chain === policy.chain && spec === jump && jumps++ === 0) continue;
    if (r.chain === 'FORWARD' && spec === forward) continue;
    report(
      d,
      { node: r },
      spec === jump
        ? `a second jump to ${owned} in ${r.chain}: policy ${policy.name} has one, in ${policy.chain}`
        : `${r.chain} holds a rule tagged for policy ${policy.name} that the policy does not make there (older version or layout)`,
      `re-apply the policy (the noflush file deletes it): ${REAPPLY}`,
    );
  }
  if (jumps === 0 && d.view.rules('filter', owned).length > 0) {
    const decl = d.view.decls('filter').get(owned);
    report(
      d,
      { node: decl ?? d.dump },
      `nothing in ${policy.chain} jumps to ${owned}: policy ${policy.name}'s rules are never reached`,
      `re-apply the policy: ${REAPPLY}`,
    );
  }
}

export const staleManagedRules: LintRule = {
  id: 'stale-managed-rules',
  severity: 'warning',
  short: 'dfw-tagged rules that do not match the given policy',
  full:
    'dfw tags every rule it writes (`dfw:<policy>:<rule>`) and keeps them in the chain the policy owns ' +
    '(`DFW-<policy>`), reached by one jump. When those rules differ from what the policy given with --policy ' +
    'compiles to, the host runs an older version of the policy (or a hand-edited one), and what the policy ' +
    'file says is not what the firewall does.',
  help: `Re-apply the policy: ${REAPPLY} (and the same with ip6tables).`,
  needs: '--policy',
  check(ctx, report) {
    const policy = ctx.policy;
    if (policy === undefined) return;
    const prefix = managedPrefix(policy.name);
    const owned = ownedChain(policy.name);
    for (const d of ctx.dumps) {
      const tagged: Rule[] = [];
      for (const c of d.view.filterChains())
        if (c !== owned) for (const r of d.view.rules('filter', c)) if (isManaged(r, prefix)) tagged.push(r);
      if (tagged.length === 0 && !d.view.decls('filter').has(owned)) continue;
      const sets = ctx.ipsets ? ipsetFamilies(ctx.ipsets) : undefined;
      const expected = compilePolicy(policy, d.family, sets ? { setFamilies: sets } : {}).map((r) => printSpec(r.spec));
      checkOwnedChain(d, policy, expected, report);
      checkOutside(d, policy, tagged, report);
    }
  },
};

/** Families of the sets of an ipset dump, as compilePolicy takes them. */
function ipsetFamilies(dump: IpsetDump): Map<string, SetFamily> {
  const out = new Map<string, SetFamily>();
  for (const l of dump.lines) {
    if (l.kind !== 'create') continue;
    const fam = l.options.find((o) => o.name === 'family')?.value;
    out.set(l.set, l.type === 'list:set' ? 'any' : fam === 'inet6' ? 6 : 4);
  }
  return out;
}
