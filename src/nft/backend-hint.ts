// Which backend does this host's Docker use? Under the nftables backend (Docker 29,
// "firewall-backend": "nftables") iptables-save shows none of Docker's chains; a host migrated
// from the iptables backend keeps `-A FORWARD -j DOCKER-USER` (Docker deletes its chains but
// leaves the jump), where DOCKER-USER's drops still apply but its RETURN/ACCEPT no longer let
// anything past Docker's nft rules (docs/docker.md#the-nftables-backend).
import type { IptablesDump } from '../iptables/ast.js';
import { chainRules } from '../iptables/parsed.js';

const DOCKER_CHAINS = ['DOCKER', 'DOCKER-FORWARD', 'DOCKER-CT', 'DOCKER-BRIDGE', 'DOCKER-ISOLATION-STAGE-1'];

/**
 * A hint that the dump comes from a host whose Docker runs the nftables backend, or undefined
 * when the dump holds Docker's iptables chains.
 */
export function nftBackendHint(dump: IptablesDump): string | undefined {
  let dockerChains = false;
  let userJump = false;
  let filter = false;
  for (const t of dump.items) {
    if (t.kind !== 'table' || t.name !== 'filter') continue;
    filter = true;
    dockerChains ||= t.body.some((s) => s.kind === 'chain' && DOCKER_CHAINS.includes(s.name));
    userJump ||= chainRules(t, 'FORWARD').some((r) => r.spec.target?.name === 'DOCKER-USER');
  }
  // No filter table (a dump of the nat table alone, say): nothing to tell from.
  if (dockerChains || !filter) return undefined;
  if (userJump) {
    return (
      "the dump has none of Docker's chains, but FORWARD still jumps to DOCKER-USER: this host likely runs Docker's nftables backend, " +
      'which leaves that jump behind (drops there still apply; RETURN and ACCEPT there no longer let anything past Docker). ' +
      'Protect it with dfw nft: nft -j list ruleset | dfw nft -p POLICY | nft -f -'
    );
  }
  return (
    "the dump has none of Docker's chains: Docker has not started yet, or it runs its nftables backend; " +
    'for the latter use dfw nft: nft -j list ruleset | dfw nft -p POLICY | nft -f -'
  );
}
