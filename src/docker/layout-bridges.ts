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

/** Per bridge, the first rule that shows each mode: one pass over each chain (a host may have hundreds of bridges). */
function modeEvidence(view: DumpView): Map<string, Partial<Record<GatewayMode | 'dnat', number>>> {
  const out = new Map<string, Partial<Record<GatewayMode | 'dnat', number>>>();
  const note = (br: string | undefined, what: GatewayMode | 'dnat', line: number) => {
    if (br === undefined) return;
    const e = out.get(br) ?? {};
    if (e[what] === undefined) e[what] = line;
    out.set(br, e);
  };
  for (const r of view.rules('filter', 'DOCKER')) {
    if (target(r) !== 'ACCEPT') continue;
    const o = plainIface(outIface(r));
    const i = inIface(r);
    if (i === undefined && isIcmp(r)) note(o, 'routed', lineOf(r));
    else if (i?.negated && i.value === o && ruleDestination(r) === undefined && ruleProtocol(r) === undefined)
      note(o, 'nat-unprotected', lineOf(r));
  }
  for (const r of view.rules('nat', 'POSTROUTING')) {
    const o = outIface(r);
    if (target(r) === 'MASQUERADE' && o?.negated) note(o.value, 'nat', lineOf(r));
  }
  for (const r of view.rules('nat', 'DOCKER')) {
    const i = inIface(r);
    if (target(r) === 'DNAT' && i?.negated) note(i.value, 'dnat', lineOf(r));
  }
  return out;
}

function modeOf(
  evidence: ReadonlyMap<string, Partial<Record<GatewayMode | 'dnat', number>>>,
  br: string,
): { mode: GatewayMode; line: number } | undefined {
  const e = evidence.get(br);
  if (e === undefined) return undefined;
  if (e.routed !== undefined) return { mode: 'routed', line: e.routed };
  if (e['nat-unprotected'] !== undefined) return { mode: 'nat-unprotected', line: e['nat-unprotected'] };
  const nat = e.nat ?? e.dnat;
  return nat === undefined ? undefined : { mode: 'nat', line: nat };
}

/** Docker's bridges in the dump, each with its gateway mode where the rules show it. */
export function dockerBridges(view: DumpView): BridgeLayout[] {
  const evidence = modeEvidence(view);
  return bridgeNames(view).map((name) => {
    const m = modeOf(evidence, name);
    return m === undefined ? { name } : { name, gatewayMode: m.mode, line: m.line };
  });
}
