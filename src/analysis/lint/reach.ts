// The evaluator (src/analysis) seen from lint: one prepared ruleset per dump, asked what
// happens to a new connection from outside. The host's own address is not in a dump: a
// TEST-NET address outside every bridge network stands for it (with the addresses the dump
// itself shows as the host's), so that a port published on all addresses is probed as such.
import { evaluate } from '../evaluate.js';
import { inNet, parseAddr, parseNet } from '../net.js';
import { prepareRuleset, type Ruleset } from '../ruleset.js';
import type { IpsetDump } from '../../ipset/ast.js';
import type { Family } from '../../iptables/ast.js';
import type { LintedDump, Reachability } from './types.js';

/** The address of `addr/len` (its network address; for /32 and /128 the host itself). */
export function ipaddrOf(cidr: string): string {
  return cidr.split('/')[0]!;
}

const HOST_CANDIDATES: Record<Family, string[]> = {
  4: ['192.0.2.254', '198.51.100.254', '203.0.113.254'],
  6: ['2001:db8:ffff::1', '2001:db8:fffe::1'],
};

/** An address for the host that no bridge network of the dump contains. */
function hostAddress(family: Family, routes: readonly { cidr: string }[]): string {
  const nets = routes.flatMap((r) => parseNet(r.cidr) ?? []);
  const free = HOST_CANDIDATES[family].find((a) => {
    const b = parseAddr(a)!.bytes;
    return !nets.some((n) => n.family === family && inNet(n, b));
  });
  return free ?? HOST_CANDIDATES[family][0]!;
}

interface Prepared {
  ruleset: Ruleset;
  host: string;
}

/** An interface name the evaluator takes for a policy's `external` entry (`wlan+` → `wlan0`). */
const concrete = (iface: string): string => (iface.endsWith('+') ? `${iface.slice(0, -1)}0` : iface);

/**
 * Rules met by all probes of one lint, at most: a few µs each, so about a second. A host with
 * a few dozen published ports and a few hundred rules on their path uses a small part of it; a
 * kube-proxy node, whose KUBE-SERVICES every probe walks, gets the first ports probed and a note.
 */
export const PROBE_BUDGET = 250_000;

/** The evaluator behind the reachability rules; rulesets are prepared on first use, per dump. */
export function reachability(ipsets: IpsetDump | undefined, budget = PROBE_BUDGET): Reachability {
  const prepared = new Map<LintedDump, Prepared>();
  let spent = 0;
  const prepare = (d: LintedDump): Prepared => {
    let p = prepared.get(d);
    if (p === undefined) {
      const base = { family: d.family, ...(ipsets ? { ipsets } : {}) };
      const first = prepareRuleset(d.dump, base);
      const derived = first.facts;
      const host = hostAddress(d.family, derived.routes);
      // The same indexed tables (and their compiled chains), with the host address added and the
      // list of local addresses taken as complete: a container address is then not the host's.
      const facts = {
        localAddresses: [...derived.localAddresses, host],
        routes: derived.routes,
        localAddressesComplete: true,
      };
      p = { ruleset: { ...first, facts }, host };
      prepared.set(d, p);
    }
    return p;
  };
  return {
    exhausted: () => spent >= budget,
    verdict(d, packet) {
      const p = prepare(d);
      let e: ReturnType<typeof evaluate>;
      try {
        e = evaluate(p.ruleset, {
          family: d.family,
          in: concrete(packet.in),
          src: packet.src,
          dst: packet.dst === '' ? p.host : packet.dst,
          proto: packet.proto,
          dport: packet.dport,
          state: 'new',
        });
      } catch {
        // A probe the evaluator refuses (an address of the other family in the policy) decides nothing.
        return { verdict: 'unknown' };
      }
      spent += e.path.length;
      const decided = [...e.path].reverse().find((s) => s.matched === true);
      return {
        verdict: e.verdict,
        ...(decided
          ? {
              droppedIn: {
                table: decided.table,
                chain: decided.chain,
                ...(decided.line ? { line: decided.line } : {}),
              },
            }
          : {}),
      };
    },
  };
}
