// rules.v4 / rules.v6: the chain from the policy alone, for `iptables-restore --noflush` at boot,
// byte for byte what `dfw transform --mode noflush --no-dump --family 4|6` prints. Nothing exists
// yet at boot: the file declares DOCKER-USER (`:DOCKER-USER - [0:0]` creates it, or flushes it
// when it exists) and fills it. It adds no jump from FORWARD: Docker puts its own `-j DOCKER-USER`
// at the top of FORWARD when it starts, and keeps the chain's rules (docs/docker.md#who-owns-which-chain).
import type { IptablesDump } from '../iptables/ast.js';
import type { Family, Policy } from '../policy/types.js';
import { transformDump } from '../transform/inject.js';
import { noflushText } from '../transform/noflush.js';

/** The noflush restore file of the policy alone, for one family. */
export function bootRulesText(policy: Policy, family: Family): string {
  const empty: IptablesDump = { kind: 'iptables', items: [], finalNewline: true };
  const result = transformDump(empty, policy, { family, createChain: true });
  return noflushText({ ...result, addedJump: undefined }, policy, family);
}
