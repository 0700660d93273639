// Published ports, read offline from the nat table's DNAT rules of the same dump
// (`-A DOCKER ! -i br -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80`), in
// Docker's DOCKER chain and in Swarm's DOCKER-INGRESS (the routing mesh publishes there).
// A port published on a loopback address only (`-p 127.0.0.1:5432:5432` gives the DNAT rule
// `-d 127.0.0.1/32`) cannot be reached from an external interface: it is listed, with its
// `hostAddress`, but it does not count as published for the policy's `port` entries.
import type { IptablesDump, Rule } from '../iptables/ast.js';
import { chainRules } from '../iptables/parsed.js';
import { spellingsOf } from '../iptables/rule-options.js';
import { ruleProtocol } from '../iptables/rule.js';
import type { AllowRule, Policy, PortRange } from '../policy/types.js';
import { sourceText } from '../source.js';

export interface PublishedPort {
  proto: string;
  /** Host port or range as in the rule (`8080`, `8000:8100`). */
  hostPort: string;
  /** Container address and port from --to-destination. */
  address: string;
  port?: string;
  /** The host address it is published on (the DNAT rule's `-d`), when only one. */
  hostAddress?: string;
  /** Published on a loopback address only (127.0.0.0/8, ::1): not reachable from outside. */
  loopbackOnly?: boolean;
}

/** The nat chains whose DNAT rules publish host ports: Docker's, and Swarm's routing mesh. */
export const PUBLISHING_CHAINS: readonly string[] = ['DOCKER', 'DOCKER-INGRESS'];

/**
 * Docker writes its port DNAT rules in the nat DOCKER chain, Swarm's ingress in DOCKER-INGRESS
 * (kube-proxy's, in KUBE-SEP-*, are not published host ports).
 */
function dockerNatRules(dump: IptablesDump): Rule[] {
  return dump.items.flatMap((t) =>
    t.kind === 'table' && t.name === 'nat' ? PUBLISHING_CHAINS.flatMap((c) => chainRules(t, c)) : [],
  );
}

const DEST_FLAGS = spellingsOf('-d');

/** Whether a CIDR as iptables-save prints it (`127.0.0.1/32`, `::1/128`) holds loopback addresses only. */
function isLoopback(cidr: string): boolean {
  const [addr, len] = cidr.split('/');
  if (addr === '::1') return len === undefined || len === '128';
  return /^127\./.test(addr ?? '') && Number(len ?? 32) >= 8;
}

/** The port a DNAT rule publishes, or undefined for any other rule. */
function publishedBy(s: Rule): PublishedPort | undefined {
  if (!(sourceText(s)?.includes('DNAT') ?? true)) return undefined; // spares the parse of other rules
  const t = s.spec.target;
  if (t?.name !== 'DNAT') return undefined;
  const proto = ruleProtocol(s)?.value;
  const dport = s.spec.matches.flatMap((m) => m.options).find((o) => o.flag === '--dport' && !o.negated)?.values[0];
  const to = t.options.find((o) => o.flag === '--to-destination' || o.flag === '--to')?.values[0];
  if (proto === undefined || dport === undefined || to === undefined) return undefined;
  // `192.0.2.2:80`, `[2001:db8::2]:80`, or an address alone.
  const m = /^\[([^\]]+)\](?::(.+))?$/.exec(to) ?? /^([^:]+)(?::(.+))?$/.exec(to) ?? [to, to];
  const p: PublishedPort = { proto, hostPort: dport, address: m[1]! };
  if (m[2] !== undefined) p.port = m[2];
  const dest = s.spec.options.find((o) => DEST_FLAGS.includes(o.flag));
  if (dest !== undefined && !dest.negated && dest.values[0] !== undefined) {
    p.hostAddress = dest.values[0];
    if (isLoopback(dest.values[0])) p.loopbackOnly = true;
  }
  return p;
}

/**
 * The host ports Docker publishes, read from the DNAT rules of the nat DOCKER and DOCKER-INGRESS
 * chains of a dump; those published on a loopback address only have `loopbackOnly`.
 *
 *   publishedPorts(parseIptables(saved)) // [{ proto: 'tcp', hostPort: '8080', address: '172.17.0.2', port: '80' }]
 */
export function publishedPorts(dump: IptablesDump): PublishedPort[] {
  return dockerNatRules(dump).flatMap((r) => publishedBy(r) ?? []);
}

/**
 * The policy's `port` entries that no DNAT rule of the dump publishes on an address reachable
 * from outside (a typo there would silently open nothing; a port published on 127.0.0.1 only
 * is not reachable through the external interfaces). Empty when the dump has no nat table. A single port is first looked
 * for among the rules whose line mentions it, so that a host publishing a thousand ports does
 * not have every DNAT rule parsed when the policy's ports are all there.
 */
export function unpublishedPorts(dump: IptablesDump, policy: Policy): { rule: AllowRule; port: PortRange }[] {
  if (!dump.items.some((i) => i.kind === 'table' && i.name === 'nat')) return [];
  const rules = dockerNatRules(dump);
  let all: PublishedPort[] | undefined;
  const publishes = (x: PublishedPort | undefined, a: AllowRule, p: PortRange) =>
    x !== undefined && x.loopbackOnly !== true && x.proto === a.proto && overlaps(x.hostPort, p);
  const out: { rule: AllowRule; port: PortRange }[] = [];
  for (const a of policy.allow) {
    for (const p of a.port ?? []) {
      const needle = ` --dport ${p.from} `;
      const quick =
        p.from === p.to &&
        rules.some((r) => (sourceText(r)?.includes(needle) ?? true) && publishes(publishedBy(r), a, p));
      if (quick) continue;
      all ??= rules.flatMap((r) => publishedBy(r) ?? []);
      if (!all.some((x) => publishes(x, a, p))) out.push({ rule: a, port: p });
    }
  }
  return out;
}

function range(text: string): PortRange {
  const [a, b] = text.split(':');
  const from = Number(a);
  return { from, to: b === undefined ? from : Number(b) };
}

/** Whether the published port text (single or range) overlaps `p`. */
export function overlaps(text: string, p: PortRange): boolean {
  const r = range(text);
  return r.from <= p.to && p.from <= r.to;
}
