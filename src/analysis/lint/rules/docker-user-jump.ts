// How FORWARD reaches DOCKER-USER: missing or below Docker's own jumps on a Docker host
// (docs/docker.md#who-owns-which-chain), or left behind without Docker chains by the nftables
// backend (docs/docker.md#the-nftables-backend).
import { isDockerOwnChain } from '../../../docker/layout.js';
import { lineOf, mentions, outIface, setNames, target } from '../../../docker/layout-rule.js';
import type { Rule } from '../../../iptables/ast.js';
import type { LintRule, LintedDump, Reporter } from '../types.js';

const DOCKER_LAYOUTS = ['classic', 'docker-28.0.0', 'docker-28', 'docker-29', 'unknown'];

/** A FORWARD rule Docker writes: a jump to its chains, or a per-bridge rule (classic, 28.0.0). */
function isDockerForwardRule(r: Rule, bridges: ReadonlySet<string>): boolean {
  const t = target(r);
  if (t !== undefined && isDockerOwnChain(t)) return true;
  const o = outIface(r);
  if (o !== undefined && bridges.has(o.value)) return true;
  return mentions(r, 'docker-ext-bridges') && setNames(r).some((s) => s.startsWith('docker-ext-bridges'));
}

function checkJump(d: LintedDump, report: Reporter): void {
  const { layout, view } = d;
  if (!DOCKER_LAYOUTS.includes(layout.kind) || !layout.seen.some((s) => s.startsWith('filter chain'))) return;
  const forward = view.rules('filter', 'FORWARD');
  const forwardDecl = view.decls('filter').get('FORWARD');
  const jump = layout.dockerUser.jumps[0];
  if (jump === undefined) {
    const declared = layout.dockerUser.declared;
    report(
      d,
      { node: forward[0] ?? forwardDecl ?? d.dump },
      declared
        ? 'FORWARD does not jump to DOCKER-USER: the rules in DOCKER-USER are never reached'
        : 'Docker writes its chains here but there is no DOCKER-USER chain (ip6tables before Docker 23.0, or a hand-made layout): nothing filters forwarded traffic before Docker accepts it',
      declared
        ? 'restart dockerd (it puts `-A FORWARD -j DOCKER-USER` back at the top) or insert it: `iptables -I FORWARD -j DOCKER-USER`'
        : '`dfw transform --create-chain` declares DOCKER-USER and adds the jump at the top of FORWARD; keep Docker 23.0 or later for ip6tables',
    );
    return;
  }
  const bridges = new Set(layout.bridges.map((b) => b.name));
  const above = forward.slice(0, jump.position - 1);
  const docker = above.find((r) => isDockerForwardRule(r, bridges));
  if (docker !== undefined) {
    report(
      d,
      { node: forward[jump.position - 1]!, needle: '-j DOCKER-USER' },
      `FORWARD jumps to DOCKER-USER only after Docker's rule at line ${lineOf(docker)}: traffic Docker accepts there never reaches DOCKER-USER`,
      'move the jump to the top of FORWARD (`iptables -D FORWARD -j DOCKER-USER; iptables -I FORWARD -j DOCKER-USER`); restarting dockerd does the same',
    );
    return;
  }
  const deciding = above.find((r) => target(r) !== undefined && target(r) !== 'RETURN' && target(r) !== 'LOG');
  if (deciding !== undefined) {
    report(
      d,
      { node: forward[jump.position - 1]!, needle: '-j DOCKER-USER' },
      `FORWARD jumps to DOCKER-USER below another rule (line ${lineOf(deciding)}, -j ${target(deciding)}) that decides first`,
      'keep `-A FORWARD -j DOCKER-USER` first in FORWARD, or make sure the rules above it never accept traffic to containers',
      'warning',
    );
  }
}

export const dockerUserJumpMissing: LintRule = {
  id: 'docker-user-jump-missing',
  severity: 'error',
  short: "Docker's chains are there but FORWARD does not jump to DOCKER-USER first",
  full:
    'On a host where Docker writes its iptables chains, FORWARD must jump to DOCKER-USER before any of ' +
    "Docker's rules: otherwise the admin's rules in DOCKER-USER (and dfw's) never see the traffic Docker " +
    'accepts for published ports. The jump can be missing (ip6tables before Docker 23.0, a restore that ' +
    "dropped it) or sit below Docker's own jumps (a hand-made FORWARD, a tool that appended it).",
  help:
    'Restart dockerd (it puts the jump back at the top of FORWARD) or insert it: ' +
    '`iptables -I FORWARD -j DOCKER-USER`. Without a DOCKER-USER chain, `dfw transform --create-chain` declares it.',
  check(ctx, report) {
    for (const d of ctx.dumps) checkJump(d, report);
  },
};

export const orphanedDockerUser: LintRule = {
  id: 'orphaned-docker-user',
  severity: 'warning',
  short: 'A DOCKER-USER jump with no Docker chains (nftables backend)',
  full:
    "Docker's nftables backend (Docker 29) deletes its iptables chains when it migrates but leaves " +
    '`-A FORWARD -j DOCKER-USER`. The DROPs in DOCKER-USER still apply, while its RETURN and ACCEPT no ' +
    "longer let anything past Docker: Docker's nft rules decide, and a FORWARD policy DROP left behind " +
    'drops what they accept.',
  help:
    'Write the policy as an nftables table of its own (`dfw nft --policy P`), then delete the jump ' +
    '(`iptables -D FORWARD -j DOCKER-USER`) and the chain (`iptables -F DOCKER-USER; iptables -X DOCKER-USER`).',
  check(ctx, report) {
    for (const d of ctx.dumps) {
      if (d.layout.kind !== 'nftables') continue;
      const forward = d.view.rules('filter', 'FORWARD');
      const policyDrop = d.view.decls('filter').get('FORWARD')?.policy === 'DROP';
      for (const j of d.layout.dockerUser.jumps.filter((x) => !x.dfw)) {
        report(
          d,
          { node: forward[j.position - 1]!, needle: '-j DOCKER-USER' },
          'FORWARD jumps to DOCKER-USER but no Docker chain is left (nftables backend): its drops still apply, its RETURN/ACCEPT let nothing past Docker' +
            (policyDrop ? "; FORWARD's policy DROP drops what Docker's nft rules accept" : ''),
          'move the policy to an nft table of its own (`dfw nft --policy P`), then `iptables -D FORWARD -j DOCKER-USER`',
        );
      }
    }
  },
};
