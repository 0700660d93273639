// IPv6 parity: Docker publishes ports over IPv6 too (ip6tables rules are on by default from
// 27.0), but DOCKER-USER exists in ip6tables only from 23.0, and policies are often written for
// IPv4 alone (docs/docker.md#ipv6).
import { destinationPorts, target } from '../../../docker/layout-rule.js';
import { reachedFrom } from '../walk.js';
import type { LintRule, LintedDump } from '../types.js';

/** Whether DOCKER-USER (or a chain it jumps to) drops or rejects anything. */
function filters(d: LintedDump): boolean {
  return reachedFrom(d.view, 'DOCKER-USER').some((c) =>
    d.view.rules('filter', c).some((r) => target(r) === 'DROP' || target(r) === 'REJECT'),
  );
}

/** Whether Docker publishes a port in this dump: a DNAT, or (routed mode) a per-port accept. */
function publishes(d: LintedDump): boolean {
  if (d.published.length > 0) return true;
  return d.view.rules('filter', 'DOCKER').some((r) => target(r) === 'ACCEPT' && destinationPorts(r) !== undefined);
}

export const ipv6Unfiltered: LintRule = {
  id: 'ipv6-unfiltered',
  severity: 'warning',
  short: 'Docker publishes ports over IPv6 and DOCKER-USER does not filter them while IPv4 does',
  full:
    'Docker writes ip6tables rules for its IPv6 networks (by default from 27.0), so a published port is ' +
    'reachable over IPv6 as well. A host whose IPv4 DOCKER-USER filters while the IPv6 one is missing ' +
    '(before Docker 23.0) or lets everything through leaves the same ports open over IPv6.',
  help:
    'Apply the same policy to the ip6tables dump (`ip6tables-save | dfw transform --policy P`); without an ' +
    'IPv6 DOCKER-USER chain, `--create-chain` declares it. Give lint both dumps, or the IPv6 one with --family 6.',
  needs: 'an ip6tables dump (with the iptables one, or --family 6)',
  check(ctx, report) {
    const v4 = ctx.dumps.filter((d) => d.family === 4);
    const v4Filters = v4.some(filters);
    for (const d of ctx.dumps) {
      if (d.family !== 6 || !publishes(d) || filters(d)) continue;
      if (v4.length > 0 && !v4Filters) continue;
      const decl = d.view.decls('filter').get('DOCKER-USER');
      const at = decl ?? d.published[0]?.rule ?? d.view.rules('filter', 'DOCKER')[0] ?? d.dump;
      const side = v4.length > 0 ? 'while the IPv4 DOCKER-USER drops' : '(the IPv4 dump was not given)';
      report(
        d,
        { node: at },
        decl === undefined
          ? `Docker publishes ports over IPv6 and ip6tables has no DOCKER-USER chain ${side}: every published port is open over IPv6`
          : `Docker publishes ports over IPv6 and the IPv6 DOCKER-USER drops nothing ${side}: every published port is open over IPv6`,
        'apply the policy to this dump too: `ip6tables-save | dfw transform --policy P` (`--create-chain` when DOCKER-USER is missing); a dfw policy serves both families',
      );
    }
  },
};
