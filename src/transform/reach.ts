// Whether packets reach the policy's chain: FORWARD must jump to DOCKER-USER before any rule that
// lets container traffic through (Docker's `-j DOCKER-FORWARD`, an ACCEPT), or the policy is
// loaded where no packet sees it, with exit 0 (issue 22). A warning, as for unpublished ports:
// a host may reach it by a path dfw does not read.
import type { IptablesDump, Rule, Table } from '../iptables/ast.js';
import { printRule } from '../iptables/print.js';
import type { Policy } from '../policy/types.js';

/** Targets that end FORWARD for the packet without letting it through. */
const STOPS = new Set(['DROP', 'REJECT']);
/** Targets that do not decide (the packet goes on to the next rule). */
const GOES_ON = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'MARK',
  'CONNMARK',
  'CT',
  'TRACE',
  'NOTRACK',
  'AUDIT',
  'CHECKSUM',
  'TCPMSS',
  'DSCP',
  'TOS',
  'TTL',
  'HL',
]);

/** What is wrong with the way FORWARD reaches the policy's chain, or undefined when it reaches it first. */
export function forwardReachProblem(dump: IptablesDump, policy: Policy): string | undefined {
  const filter = dump.items.find((t): t is Table => t.kind === 'table' && t.name === 'filter');
  if (filter === undefined) return undefined;
  const forward = filter.body.filter((s): s is Rule => s.kind === 'rule' && s.chain === 'FORWARD');
  if (policy.chain === 'DOCKER') {
    const reached = filter.body.some((s) => s.kind === 'rule' && s.spec.target?.name === 'DOCKER');
    return reached ? undefined : 'no rule of the filter table jumps to DOCKER: the policy would see no packet';
  }
  const jump = forward.findIndex((r) => r.spec.target?.name === policy.chain);
  if (jump < 0)
    return `FORWARD has no jump to ${policy.chain}: the policy would see no packet (Docker adds \`-A FORWARD -j DOCKER-USER\` first)`;
  const before = forward.slice(0, jump).find((r) => {
    const t = r.spec.target;
    return t !== undefined && !STOPS.has(t.name) && !GOES_ON.has(t.name);
  });
  if (before === undefined) return undefined;
  return `FORWARD reaches ${policy.chain} only after \`${printRule(before)}\`: what that rule lets through never meets the policy (Docker puts \`-j DOCKER-USER\` first)`;
}
