// Host facts the dump implies (docs/design.md#what-the-evaluator-derives). The routing table and
// the host's addresses are not in an iptables dump, but Docker's rules name them:
//   - a bridge network: `-s NET ! -o IF -j MASQUERADE` in nat POSTROUTING;
//   - a container behind a bridge: `-d ADDR -o IF` in Docker's filter chains, `-d ADDR ! -i IF -j DROP`
//     in raw PREROUTING (Docker 28+), and `! -i IF ... -j DNAT --to-destination ADDR` in nat;
//   - an address of the host: `-d ADDR/32 ... -j DNAT` in a nat chain entered from PREROUTING
//     by `-m addrtype --dst-type LOCAL` (a port published on one host address).
// The lines are matched as text, in the shapes iptables-save prints Docker's rules: a kube-proxy
// dump holds tens of thousands of them, and building each rule would cost more than the trace.
import type { Family, TableName } from '../iptables/ast.js';
import { bitsOf } from '../net/family.js';
import { addrText, isLoopback, maskLength, parseNet } from './net.js';
import { dnatAction } from './compile.js';
import type { TableIndex } from './ruleset.js';
import type { HostFacts } from './types.js';

const FILTER_CHAINS = ['FORWARD', 'DOCKER', 'DOCKER-FORWARD', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-INTERNAL'];

const MASQUERADE = /^-A POSTROUTING -s ([^ "]+) ! -o ([^ "+]+) -j MASQUERADE$/;
const TO_BRIDGE = /^-A [^ ]+ -d ([^ "]+) (?:! -i [^ ]+ )?-o ([^ "+]+) /;
const RAW_GUARD = /^-A PREROUTING -d ([^ "]+) ! -i ([^ "+]+) (?:[^"]* )?-j DROP$/;
const DNAT = /^-A [^ ]+ (?:-d ([^ "]+) )?! -i ([^ "+]+) [^"]*-j DNAT --to-destination ([^ "]+)$/;
const LOCAL_JUMP = /^-A PREROUTING (?:[^"]* )?-m addrtype --dst-type LOCAL (?:[^"]* )?-[jg] ([^ "]+)$/;

/** The bridge networks alone (nat POSTROUTING's MASQUERADE rules): enough to route most packets, and cheap. */
export function deriveBridges(tables: ReadonlyMap<TableName, TableIndex>, family: Family): HostFacts['routes'] {
  const out: { name: string; cidr: string }[] = [];
  for (const r of tables.get('nat')?.rules('POSTROUTING') ?? []) {
    const m = MASQUERADE.exec(r.text);
    const net = m === null ? undefined : parseNet(m[1]!);
    if (net !== undefined && net.family === family && !isLoopback(family, net.bytes))
      out.push({ name: m![2]!, cidr: `${addrText(family, net.bytes)}/${maskLength(net.mask)}` });
  }
  return out;
}

export function deriveFacts(tables: ReadonlyMap<TableName, TableIndex>, family: Family): HostFacts {
  const routes = new Map<string, { name: string; cidr: string }>();
  const addRoute = (name: string, cidr: string) => {
    if (routes.has(cidr)) return;
    const net = parseNet(cidr);
    // Loopback is the host's own (Docker guards 127.0.0.1 published ports with `! -i lo`).
    if (net === undefined || net.family !== family || isLoopback(family, net.bytes)) return;
    routes.set(cidr, { name, cidr: `${addrText(family, net.bytes)}/${maskLength(net.mask)}` });
  };
  const each = (table: TableName, chain: string, re: RegExp, fn: (m: RegExpExecArray) => void) => {
    for (const r of tables.get(table)?.rules(chain) ?? []) {
      const m = re.exec(r.text);
      if (m !== null) fn(m);
    }
  };
  each('nat', 'POSTROUTING', MASQUERADE, (m) => addRoute(m[2]!, m[1]!));
  for (const chain of FILTER_CHAINS) each('filter', chain, TO_BRIDGE, (m) => addRoute(m[2]!, m[1]!));
  each('raw', 'PREROUTING', RAW_GUARD, (m) => addRoute(m[2]!, m[1]!));
  const locals = new Set<string>();
  const localChains = new Set<string>();
  each('nat', 'PREROUTING', LOCAL_JUMP, (m) => localChains.add(m[1]!));
  for (const chain of localChains)
    each('nat', chain, DNAT, (m) => {
      const host = m[1] === undefined ? undefined : parseNet(m[1]);
      if (host !== undefined && host.family === family && maskLength(host.mask) === bitsOf(family))
        locals.add(addrText(family, host.bytes));
      const to = dnatAction([{ flag: '--to-destination', negated: false, values: [m[3]!] }], family);
      if (to.kind === 'dnat' && to.addr !== undefined)
        addRoute(m[2]!, `${addrText(family, to.addr)}/${bitsOf(family)}`);
    });
  return { localAddresses: [...locals], routes: [...routes.values()], localAddressesComplete: false };
}
