// Docker's bridges as a dump shows them, and each one's gateway mode where its rules tell
// (docs/docker.md#gateway-modes): `routed` has `-A DOCKER -o br -p icmp -j ACCEPT` and no
// masquerade; `nat-unprotected` has `-A DOCKER ! -i br -o br -j ACCEPT` in place of the per-port
// accepts; `nat` masquerades the bridge's subnet or DNATs a published port to it.
import type { Rule } from '../iptables/ast.js';
import { ruleDestination, ruleProtocol, ruleSource } from '../iptables/rule.js';
import { inIface, lineOf, outIface, plainIface, target } from './layout-rule.js';
import type { DumpView } from './layout-view.js';

export type GatewayMode = 'nat' | 'nat-unprotected' | 'routed';

export interface BridgeLayout {
  readonly name: string;
  /** Absent when the dump does not show it (no rule that only one mode writes). */
  readonly gatewayMode?: GatewayMode;
  /** The line of the rule that showed the mode. */
  readonly line?: number;
}

/** Bridge names from the chains Docker writes per bridge, in the order first seen. */
function bridgeNames(view: DumpView): string[] {
  const names = new Set<string>();
  const add = (n: string | undefined) => {
    if (n !== undefined && !n.includes('+')) names.add(n);
  };
  for (const r of view.rules('filter', 'DOCKER-BRIDGE')) add(plainIface(outIface(r)));
  for (const r of view.rules('filter', 'DOCKER-CT')) add(plainIface(outIface(r)));
  for (const r of view.rules('filter', 'FORWARD')) if (target(r) === 'DOCKER') add(plainIface(outIface(r)));
  for (const r of view.rules('filter', 'DOCKER-FORWARD')) if (target(r) === 'ACCEPT') add(plainIface(inIface(r)));
  for (const r of view.rules('filter', 'DOCKER')) {
    const i = inIface(r);
    if (i?.negated) add(plainIface(outIface(r)));
  }
  for (const r of view.rules('nat', 'POSTROUTING')) {
    const o = outIface(r);
    if (target(r) === 'MASQUERADE' && o?.negated && ruleSource(r) !== undefined) add(o.value);
  }
  return [...names];
}

const isIcmp = (r: Rule): boolean => ['icmp', 'ipv6-icmp', 'icmpv6'].includes(ruleProtocol(r)?.value ?? '');

function modeOf(view: DumpView, br: string): { mode: GatewayMode; line: number } | undefined {
  const docker = view.rules('filter', 'DOCKER');
  const routed = docker.find(
    (r) => target(r) === 'ACCEPT' && plainIface(outIface(r)) === br && inIface(r) === undefined && isIcmp(r),
  );
  if (routed !== undefined) return { mode: 'routed', line: lineOf(routed) };
  const open = docker.find(
    (r) =>
      target(r) === 'ACCEPT' &&
      plainIface(outIface(r)) === br &&
      inIface(r)?.negated === true &&
      inIface(r)?.value === br &&
      ruleDestination(r) === undefined &&
      ruleProtocol(r) === undefined,
  );
  if (open !== undefined) return { mode: 'nat-unprotected', line: lineOf(open) };
  const masq = view
    .rules('nat', 'POSTROUTING')
    .find((r) => target(r) === 'MASQUERADE' && outIface(r)?.negated === true && outIface(r)?.value === br);
  if (masq !== undefined) return { mode: 'nat', line: lineOf(masq) };
  const dnat = view
    .rules('nat', 'DOCKER')
    .find((r) => target(r) === 'DNAT' && inIface(r)?.negated === true && inIface(r)?.value === br);
  if (dnat !== undefined) return { mode: 'nat', line: lineOf(dnat) };
  return undefined;
}

/** Docker's bridges in the dump, each with its gateway mode where the rules show it. */
export function dockerBridges(view: DumpView): BridgeLayout[] {
  return bridgeNames(view).map((name) => {
    const m = modeOf(view, name);
    return m === undefined ? { name } : { name, gatewayMode: m.mode, line: m.line };
  });
}
