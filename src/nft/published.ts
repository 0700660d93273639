// Docker's published ports on a host whose Docker runs the nftables backend: one rule per port
// in chain nat-prerouting-and-output of `table ip docker-bridges` / `table ip6 docker-bridges`,
//   iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80 comment "DNAT"
// (docs/docker.md#the-nftables-backend), read from `nft -j list ruleset`.
import type { AllowRule, Policy, PortRange } from '../policy/types.js';
import type { NftJson } from './model.js';
import type { NftRuleset } from './read-ruleset.js';

export const DOCKER_TABLE = 'docker-bridges';
export const DOCKER_DNAT_CHAIN = 'nat-prerouting-and-output';

export interface NftPublishedPort {
  family: 'ip' | 'ip6';
  proto: string;
  /** The host port or range. */
  port: PortRange;
}

type Obj = { [key: string]: NftJson };
const isObj = (v: NftJson | undefined): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function portRange(v: NftJson | undefined): PortRange | undefined {
  if (typeof v === 'number') return { from: v, to: v };
  if (isObj(v) && Array.isArray(v.range) && typeof v.range[0] === 'number' && typeof v.range[1] === 'number')
    return { from: v.range[0], to: v.range[1] };
  return undefined;
}

/** Whether the ruleset holds Docker's nftables tables at all. */
export function hasDockerTables(rs: NftRuleset): boolean {
  return rs.tables.some((t) => t.name === DOCKER_TABLE && (t.family === 'ip' || t.family === 'ip6'));
}

/** Every port Docker publishes, from the `comment "DNAT"` rules with a `dnat` statement. */
export function nftPublishedPorts(rs: NftRuleset): NftPublishedPort[] {
  const out: NftPublishedPort[] = [];
  for (const t of rs.tables) {
    if (t.name !== DOCKER_TABLE || (t.family !== 'ip' && t.family !== 'ip6')) continue;
    const chain = t.chains.find((c) => c.name === DOCKER_DNAT_CHAIN);
    for (const r of chain?.rules ?? []) {
      if (r.comment !== 'DNAT' || !r.expr.some((s) => isObj(s) && 'dnat' in s)) continue;
      for (const s of r.expr) {
        const m = isObj(s) && isObj(s.match) ? s.match : undefined;
        const left = m?.left;
        const payload = isObj(left) && isObj(left.payload) ? left.payload : undefined;
        if (m?.op !== '==' || payload?.field !== 'dport' || typeof payload.protocol !== 'string') continue;
        const port = portRange(m.right);
        if (port !== undefined) out.push({ family: t.family, proto: payload.protocol, port });
      }
    }
  }
  return out;
}

/** The policy's `port` entries that no DNAT rule publishes (a typo there would open nothing). */
export function nftUnpublishedPorts(rs: NftRuleset, policy: Policy): { rule: AllowRule; port: PortRange }[] {
  const published = nftPublishedPorts(rs);
  const out: { rule: AllowRule; port: PortRange }[] = [];
  for (const a of policy.allow)
    for (const p of a.port ?? [])
      if (!published.some((x) => x.proto === a.proto && x.port.from <= p.to && p.from <= x.port.to))
        out.push({ rule: a, port: p });
  return out;
}
