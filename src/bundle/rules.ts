// rules.v4 / rules.v6: the policy's own chain from the policy alone, for `iptables-restore
// --noflush` at boot and on every reload, byte for byte what `dfw transform --mode noflush
// --no-dump --family 4|6` prints. It declares `DFW-<name>` (created at boot, flushed and
// refilled on a reload, in one commit) and nothing else: DOCKER-USER is never declared, so the
// rules other tools add there survive a reload. The jump from DOCKER-USER is added by the unit
// when it is missing (jumpCommand): a static restore file cannot add a rule only when absent.
import type { Family, Policy } from '../policy/types.js';
import { ownedChainText } from '../transform/noflush.js';

/** The noflush restore file of the policy alone, for one family. */
export function bootRulesText(policy: Policy, family: Family): string {
  return ownedChainText(policy, family);
}
