// `exposure(dump)`: who can reach each published port, computed with the evaluator
// (docs/design.md#how-exposure-computes-sources). The library part of `dfw exposure`.
import { DfwError } from '../errors.js';
import type { IptablesDump } from '../iptables/ast.js';
import { detectFamily } from '../iptables/family.js';
import type { IpsetDump } from '../ipset/ast.js';
import { parseIpset } from '../ipset/parse.js';
import { printIpset } from '../ipset/print.js';
import { reconcileIpsets } from '../ipset/reconcile.js';
import { dumpState } from '../ipset/state.js';
import { familyName, type Family } from '../net/family.js';
import type { Policy } from '../policy/types.js';
import { transformDump } from '../transform/inject.js';
import { computeExposure, isInternal, type Exposure } from './exposure-compute.js';
import { asTableIndexes, indexDump, portEvaluators } from './exposure-index.js';
import { deriveFacts } from './facts.js';
import { SetIndex } from './sets.js';
import { setSpans } from './exposure-rules.js';
import { evaluate } from './evaluate.js';
import type { Ruleset } from './ruleset.js';
import { addressNumber, spanOf } from './split.js';
import type { HostFacts } from './types.js';

export interface ExposureOptions {
  /** The address family when the dump does not say (a dump that says otherwise is an error). */
  readonly family?: Family;
  /** The host's sets (`ipset save`); without it, a rule matching a set makes its answer unknown. */
  readonly ipsets?: IpsetDump;
  /** The external interfaces to report (`eth0`, `wlan+`); default: those the rules name, and any other. */
  readonly external?: readonly string[];
  /** The host address a client connects to when a port names none; default: one no rule names. */
  readonly hostAddress?: string;
  /** Also the DNATs to addresses that are not the host's (kube-proxy's cluster and load-balancer IPs). */
  readonly routed?: boolean;
  /** Host facts, instead of those derived from the dump. */
  readonly facts?: Partial<HostFacts>;
}

/** Addresses tried, in order, for a host address when none is given: TEST-NET, outside every bridge network. */
const HOST_CANDIDATES: Record<Family, string[]> = {
  4: ['192.0.2.1', '198.51.100.1', '203.0.113.1', '10.255.255.254'],
  6: ['2001:db8:1::1', '2001:db8:ffff::1', 'fd00:ffff::1'],
};

function familyOf(dump: IptablesDump, given: Family | undefined): Family {
  const found = detectFamily(dump);
  if (given !== undefined && found !== undefined && found !== given)
    throw new DfwError(`family ${given} given, but the dump is an ${familyName(found)} dump`);
  return given ?? found ?? 4;
}

/** An ipset dump whose address sets are all of the other family cannot be this dump's. */
function checkSetFamily(ipsets: IpsetDump, family: Family): void {
  const families = [...dumpState(ipsets).values()].flatMap((s) =>
    s.header.family === undefined ? [] : [s.header.family],
  );
  if (families.length > 0 && !families.includes(family))
    throw new DfwError(
      `${ipsets.file}: every set in it is ${familyName(families[0]!)}, and the rules are ${familyName(family)}: give the ipset dump of the same host (ipset save holds both families)`,
    );
}

function checkExternal(names: readonly string[], facts: HostFacts): void {
  for (const n of names) {
    if (!/^[^\s/:!]{1,15}$/.test(n) || n === '+' || (n.includes('+') && !n.endsWith('+')) || n === '.' || n === '..')
      throw new DfwError(
        `--external ${JSON.stringify(n)}: expected an interface name (1-15 characters, no space, "/" or ":"), or a prefix ending in "+"`,
      );
    if (isInternal(n, { ...facts, routes: facts.routes }))
      throw new DfwError(
        `--external ${n}: that is ${n === 'lo' ? 'the loopback' : 'a bridge the dump routes to containers'}, not an external interface`,
      );
  }
}

function hostAddress(given: string | undefined, family: Family, facts: HostFacts): string {
  if (given !== undefined) {
    if (addressNumber(given, family) === undefined)
      throw new DfwError(`--host-address ${JSON.stringify(given)}: expected one ${familyName(family)} address`);
    return given;
  }
  const routed = facts.routes.flatMap((r) => spanOf(r.cidr, family) ?? []);
  const free = HOST_CANDIDATES[family].find((a) => {
    const n = addressNumber(a, family)!;
    return !routed.some((s) => s.from <= n && n <= s.to);
  });
  return free ?? HOST_CANDIDATES[family][0]!;
}

/**
 * Every published port of the dump (each DNAT a packet from outside reaches, and container
 * ports open without DNAT), with who can open a new connection to it from each external
 * interface: anyone, nobody, exactly which sources, or unknown and the rules it depends on.
 *
 *   exposure(parseIptables(saved), { ipsets: parseIpset(sets, 'sets') }).ports[0].reach
 */
export function exposure(dump: IptablesDump, options: ExposureOptions = {}): Exposure {
  const family = familyOf(dump, options.family);
  if (options.ipsets !== undefined) checkSetFamily(options.ipsets, family);
  // The dump indexed once, by chain (prepareRuleset's index finds a chain's rules by a scan of the
  // table: fine for the chains of one packet, not for the thousands a big dump's ports enter).
  const tables = indexDump(dump, family);
  const found = deriveFacts(asTableIndexes(tables), family);
  const derived: HostFacts = {
    localAddresses: options.facts?.localAddresses ?? found.localAddresses,
    routes: options.facts?.routes ?? found.routes,
  };
  if (options.external !== undefined) checkExternal(options.external, derived);
  const host = hostAddress(options.hostAddress, family, derived);
  // The host address is the host's: addrtype LOCAL holds for it (and for no address the facts do not list).
  const facts: HostFacts = {
    routes: derived.routes,
    localAddresses: [...new Set([...derived.localAddresses, host])],
    localAddressesComplete: true,
  };
  const rs: Ruleset = {
    family,
    tables: asTableIndexes(tables),
    sets: new SetIndex(options.ipsets),
    facts,
    given: facts,
  };
  const sets = options.ipsets === undefined ? undefined : dumpState(options.ipsets);
  return computeExposure(
    dump,
    { facts: rs.facts, ...portEvaluators(tables, rs, evaluate) },
    {
      family,
      hostAddress: host,
      routed: options.routed === true,
      ...(options.external === undefined ? {} : { external: options.external }),
      ...(options.ipsets === undefined ? {} : { sets: setSpans(options.ipsets, family) }),
      ...(sets === undefined ? {} : { setMembers: new Map([...sets].map(([n, s]) => [n, [...s.members.keys()]])) }),
    },
  );
}

/** The host's sets once the policy's sets are loaded (`dfw ipset` in flush mode, applied in memory). */
export function ipsetsAfter(current: IpsetDump | undefined, policy: Policy): IpsetDump | undefined {
  if (policy.ipsets.length === 0) return current;
  const text = `${current === undefined ? '' : printIpset(current)}${reconcileIpsets(current, policy.ipsets, 'flush').text}`;
  return parseIpset(text, current?.file ?? `${policy.name} (policy sets)`);
}

/** Before and after a policy: the dump as it is, and as `dfw transform` would leave it (nothing written). */
export function exposureWithPolicy(
  dump: IptablesDump,
  policy: Policy,
  options: ExposureOptions = {},
): { before: Exposure; after: Exposure } {
  const family = familyOf(dump, options.family);
  const before = exposure(dump, options);
  const out = transformDump(dump, policy, { family }).dump;
  const after = exposure(out, { ...options, family, ipsets: ipsetsAfter(options.ipsets, policy) });
  return { before, after };
}
