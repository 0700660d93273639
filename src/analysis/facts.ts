// Host facts the dump implies (docs/design.md#what-the-evaluator-derives). The routing table and
// the host's addresses are not in an iptables dump, but Docker's rules name them:
//   - a bridge network: `-s NET ! -o IF -j MASQUERADE` in nat POSTROUTING;
//   - a container behind a bridge: `-d ADDR -o IF` in Docker's filter chains, `-d ADDR ! -i IF -j DROP`
//     in raw PREROUTING (Docker 28+), and `! -i IF ... -j DNAT --to-destination ADDR` in nat;
//   - an address of the host: `-d ADDR/32 ... -j DNAT` in a nat chain entered from PREROUTING
//     by `-m addrtype --dst-type LOCAL` (a port published on one host address).
// Only a few chains are read (Docker's and the built-in ones), so a big dump costs little.
import type { Family, Option, Rule, TableName } from '../iptables/ast.js';
import { RULE_OPTIONS } from '../iptables/rule-options.js';
import { bitsOf } from '../net/family.js';
import { addrText, maskLength, parseNet } from './net.js';
import type { TableIndex } from './ruleset.js';
import type { HostFacts } from './types.js';

const FILTER_CHAINS = ['FORWARD', 'DOCKER', 'DOCKER-FORWARD', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-INTERNAL'];

function own(rule: Rule, flag: string): Option | undefined {
  return rule.spec.options.find((o) => (RULE_OPTIONS.get(o.flag)?.flag ?? o.flag) === flag);
}

/** `ADDR/LEN` in canonical form when the text is a network of this family with a contiguous mask. */
function cidrOf(text: string | undefined, family: Family): string | undefined {
  const n = text === undefined ? undefined : parseNet(text);
  if (n === undefined || n.family !== family) return undefined;
  return `${addrText(family, n.bytes)}/${maskLength(n.mask)}`;
}

const plainIface = (o: Option | undefined): string | undefined => {
  const v = o?.values[0];
  return v === undefined || v.endsWith('+') ? undefined : v;
};

export function deriveFacts(tables: ReadonlyMap<TableName, TableIndex>, family: Family): HostFacts {
  const routes = new Map<string, { name: string; cidr: string }>();
  const addRoute = (name: string | undefined, cidr: string | undefined) => {
    if (name !== undefined && cidr !== undefined && !routes.has(cidr)) routes.set(cidr, { name, cidr });
  };
  const locals = new Set<string>();
  const nat = tables.get('nat');
  for (const r of nat?.rules('POSTROUTING') ?? []) {
    const out = own(r.rule, '-o');
    if (r.rule.spec.target?.name === 'MASQUERADE' && out?.negated === true)
      addRoute(plainIface(out), cidrOf(own(r.rule, '-s')?.values[0], family));
  }
  const filter = tables.get('filter');
  for (const chain of FILTER_CHAINS)
    for (const r of filter?.rules(chain) ?? []) {
      const out = own(r.rule, '-o');
      const dst = own(r.rule, '-d');
      if (out !== undefined && !out.negated && dst !== undefined && !dst.negated)
        addRoute(plainIface(out), cidrOf(dst.values[0], family));
    }
  for (const r of tables.get('raw')?.rules('PREROUTING') ?? []) {
    const inn = own(r.rule, '-i');
    const dst = own(r.rule, '-d');
    if (r.rule.spec.target?.name === 'DROP' && inn?.negated === true && dst !== undefined && !dst.negated)
      addRoute(plainIface(inn), cidrOf(dst.values[0], family));
  }
  if (nat !== undefined) natFacts(nat, family, addRoute, locals);
  return { localAddresses: [...locals], routes: [...routes.values()], localAddressesComplete: false };
}

/** DNAT rules in the chains PREROUTING enters for local destinations: host addresses and containers. */
function natFacts(
  nat: TableIndex,
  family: Family,
  addRoute: (name: string | undefined, cidr: string | undefined) => void,
  locals: Set<string>,
): void {
  const localChains = nat
    .rules('PREROUTING')
    .filter((r) =>
      r.rule.spec.matches.some(
        (m) =>
          m.name === 'addrtype' &&
          m.options.some((o) => o.flag === '--dst-type' && !o.negated && o.values[0] === 'LOCAL'),
      ),
    )
    .flatMap((r) => (r.action.kind === 'jump' || r.action.kind === 'goto' ? [r.action.chain] : []));
  for (const chain of new Set(localChains))
    for (const r of nat.rules(chain)) {
      if (r.action.kind !== 'dnat') continue;
      const dst = own(r.rule, '-d');
      const host = dst !== undefined && !dst.negated ? parseNet(dst.values[0] ?? '') : undefined;
      if (host !== undefined && host.family === family && maskLength(host.mask) === bitsOf(family))
        locals.add(addrText(family, host.bytes));
      const inn = own(r.rule, '-i');
      if (r.action.addr !== undefined && inn?.negated === true)
        addRoute(plainIface(inn), `${addrText(family, r.action.addr)}/${bitsOf(family)}`);
    }
}
