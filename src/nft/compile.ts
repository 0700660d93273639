// The policy as one nftables table that dfw owns (docs/design.md#the-nftables-table): a base
// chain on the forward hook at priority filter - 1, before Docker's filter-FORWARD (priority
// filter), holding the same rules, in the same order, as the iptables side puts in DOCKER-USER.
//
// In nftables an `accept` ends only the base chain it is in: Docker's chains still judge the
// packet afterwards, as after RETURN in DOCKER-USER. A `drop` is final, as DROP there.
import type { Family } from '../net/family.js';
import { PolicyPathError, managedTag } from '../policy/compile.js';
import type { AllowRule, Policy, PortRange, Source } from '../policy/types.js';
import type { NftChain, NftFamily, NftJson, NftRule, NftSet, NftTable } from './model.js';
import { nftSet, setFamily } from './sets.js';

/** `--family`: one family in an `ip` or `ip6` table, or both in an `inet` table. */
export type FamilyChoice = 4 | 6 | 'both';

export const CHAIN_NAME = 'forward';
/** Before Docker's filter-FORWARD (priority filter, 0). */
export const CHAIN_PRIORITY = -1;

export function tableFamily(choice: FamilyChoice): NftFamily {
  return choice === 'both' ? 'inet' : choice === 4 ? 'ip' : 'ip6';
}

/** `dfw-<policy name>`: one table per policy, so that two policies on one host never meet. */
export function tableName(policy: Policy): string {
  return `dfw-${policy.name}`;
}

const families = (choice: FamilyChoice): Family[] => (choice === 'both' ? [4, 6] : [choice]);
const proto = (f: Family): string => (f === 4 ? 'ip' : 'ip6');

const match = (left: NftJson, right: NftJson, op = '=='): NftJson => ({ match: { op, left, right } });
const meta = (key: string): NftJson => ({ meta: { key } });
const payload = (protocol: string, field: string): NftJson => ({ payload: { protocol, field } });

/** A port or range as nft lists it: `8080`, or `{range: [8000, 8100]}`. */
const port = (p: PortRange): NftJson => (p.from === p.to ? p.from : { range: [p.from, p.to] });

/** `addr/len` as nft lists it: a host address alone, a network as `{prefix}`. */
function cidrJson(cidr: string): NftJson {
  const [addr, len] = cidr.split('/') as [string, string];
  const host = addr.includes(':') ? 128 : 32;
  return Number(len) === host ? addr : { prefix: { addr, len: Number(len) } };
}

/**
 * `iptables -i eth+` is `iifname "eth*"` in nft. A `*` in a name would be read as a wildcard
 * there: refused.
 */
function iifname(name: string, index: number): NftJson {
  if (name.includes('*') || name.includes('\\'))
    throw new PolicyPathError(
      ['external', index],
      `nft reads "*" and "\\" in an interface name as a wildcard or an escape`,
    );
  return match(meta('iifname'), name.endsWith('+') ? `${name.slice(0, -1)}*` : name);
}

/** One allow entry's rules for one interface, source and destination (`head`): a rule per port. */
function allowPortRules(a: AllowRule, head: NftJson[], comment: string): NftRule[] {
  const rules: NftRule[] = [];
  for (const p of a.port ?? []) {
    // Published host ports: the forward hook sees the packet after DNAT, so the port the
    // client asked for is only in conntrack's original tuple, and only for connections
    // Docker DNAT'ed. nft 1.0.6 needs the protocol before `ct original proto-dst`.
    rules.push({
      expr: [
        ...head,
        match(meta('l4proto'), a.proto),
        match({ ct: { key: 'status' } }, 'dnat', 'in'),
        match({ ct: { key: 'proto-dst', dir: 'original' } }, port(p)),
        { accept: null },
      ],
      comment,
    });
  }
  for (const p of a.containerPort ?? []) {
    rules.push({ expr: [...head, match(payload(a.proto, 'dport'), port(p)), { accept: null }], comment });
  }
  return rules;
}

/**
 * A rule naming containers, resolved (src/policy/names-resolve.ts): per published port, the host
 * port through conntrack and the container's port after DNAT, as on the iptables side. A port
 * published for one family only gets `meta nfproto` in a table of both.
 */
function publishedNftRules(a: AllowRule, ai: number, fams: Family[], head: NftJson[], comment: string): NftRule[] {
  if (a.select === undefined) return [];
  if (a.published === undefined)
    throw new PolicyPathError(
      ['allow', ai, a.select.kind],
      'names containers: resolve the policy with a docker inspect snapshot first (--containers FILE)',
    );
  const byPort = new Map<string, { hostPort: number; containerPort: number; families: Set<Family> }>();
  for (const t of a.published) {
    if (!fams.includes(t.family)) continue;
    if (t.hostIp !== undefined)
      throw new PolicyPathError(
        ['allow', ai, a.select.kind],
        `port ${t.hostPort} is published on the host address ${t.hostIp} only: dfw nft does not match host addresses yet (dfw transform does)`,
      );
    const key = `${t.hostPort} ${t.containerPort}`;
    const entry = byPort.get(key) ?? {
      hostPort: t.hostPort,
      containerPort: t.containerPort,
      families: new Set<Family>(),
    };
    entry.families.add(t.family);
    byPort.set(key, entry);
  }
  return [...byPort.values()].map((e) => ({
    expr: [
      ...head,
      ...(fams.length === 2 && e.families.size === 1
        ? [match(meta('nfproto'), e.families.has(4) ? 'ipv4' : 'ipv6')]
        : []),
      // The container port first: it gives nft the protocol `ct original proto-dst` needs, and
      // nft lists no `meta l4proto` it implies (--check compares the listing).
      match(payload(a.proto, 'dport'), e.containerPort),
      match({ ct: { key: 'status' } }, 'dnat', 'in'),
      match({ ct: { key: 'proto-dst', dir: 'original' } }, e.hostPort),
      { accept: null },
    ],
    comment,
  }));
}

/**
 * The table of `policy` for `choice`, with the policy's sets of those families. A `set:NAME`
 * that the policy does not declare is an error: the table holds every set its rules use.
 */
export function compileNft(policy: Policy, choice: FamilyChoice): NftTable {
  const fams = families(choice);
  const sets: NftSet[] = [];
  const setFam = new Map<string, Family>();
  for (const s of policy.ipsets) {
    // Every set is translated, whatever the family chosen: a policy nft refuses is refused alike.
    const set = nftSet(s);
    setFam.set(s.name, setFamily(s));
    if (fams.includes(setFamily(s))) sets.push(set);
  }

  /** The match of one source for family f: [] for any, undefined when it is of the other family. */
  const source = (s: Source, f: Family | undefined, where: (string | number)[]): NftJson[] | undefined => {
    if (s.kind === 'any') return [];
    if (s.kind === 'cidr') {
      if (!fams.includes(s.family) || (f !== undefined && s.family !== f)) return undefined;
      return [match(payload(proto(s.family), 'saddr'), cidrJson(s.cidr))];
    }
    const sf = setFam.get(s.name);
    if (sf === undefined) {
      throw new PolicyPathError(
        where,
        `set ${s.name} is not declared under ipsets: dfw nft puts every set its rules use in its own table, so the policy must declare it`,
      );
    }
    if (!fams.includes(sf) || (f !== undefined && sf !== f)) return undefined;
    return [match(payload(proto(sf), 'saddr'), `@${s.name}`)];
  };

  const rules: NftRule[] = [];
  const tag = (name: string) => managedTag(policy.name, name);
  const ifaces = policy.external.map((name, i) => iifname(name, i));

  if (policy.established) {
    for (const iif of ifaces)
      rules.push({
        // Replies to the containers' own outgoing connections come back on the external interface.
        expr: [iif, match({ ct: { key: 'state' } }, ['established', 'related'], 'in'), { accept: null }],
        comment: tag('established'),
      });
  }

  policy.allow.forEach((a, ai) => {
    // The family a rule is about: that of its `to` addresses, else that of its source (a CIDR or
    // a set), else none (from: any, no to: both families, in one rule).
    const dests = a.to === undefined || a.to.length === 0 ? [undefined] : a.to.filter((t) => fams.includes(t.family));
    for (const iif of ifaces) {
      for (const [fi, from] of a.from.entries()) {
        for (const to of dests) {
          const src = source(from, to?.family, ['allow', ai, 'from', fi]);
          if (src === undefined) continue;
          const dst = to === undefined ? [] : [match(payload(proto(to.family), 'daddr'), cidrJson(to.cidr))];
          rules.push(...allowPortRules(a, [iif, ...src, ...dst], tag(a.name)));
          rules.push(
            ...publishedNftRules(a, ai, to === undefined ? fams : [to.family], [iif, ...src, ...dst], tag(a.name)),
          );
        }
      }
    }
  });

  for (const iif of ifaces) {
    for (const [si, s] of policy.sources.entries()) {
      const src = source(s, undefined, ['sources', si]);
      if (src === undefined) continue;
      rules.push({ expr: [iif, ...src, { accept: null }], comment: tag('sources') });
    }
  }

  const rejectType = choice === 'both' ? 'icmpx' : choice === 4 ? 'icmp' : 'icmpv6';
  const verdict: NftJson =
    policy.default === 'drop' ? { drop: null } : { reject: { type: rejectType, expr: 'port-unreachable' } };
  for (const iif of ifaces) rules.push({ expr: [iif, verdict], comment: tag('default') });

  const chain: NftChain = {
    name: CHAIN_NAME,
    base: { type: 'filter', hook: 'forward', prio: CHAIN_PRIORITY, policy: 'accept' },
    rules,
  };
  return { family: tableFamily(choice), name: tableName(policy), sets, chains: [chain], others: [] };
}
