// Published ports, read offline from the nat table's DNAT rules of the same dump
// (`-A DOCKER ! -i br -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80`).
import type { IptablesDump } from '../iptables/ast.js';
import { chainRules } from '../iptables/parsed.js';
import { ruleProtocol } from '../iptables/rule.js';
import type { PortRange } from '../policy/types.js';

export interface PublishedPort {
  proto: string;
  /** Host port or range as in the rule (`8080`, `8000:8100`). */
  hostPort: string;
  /** Container address and port from --to-destination. */
  address: string;
  port?: string;
}

/**
 * The host ports Docker publishes, read from the nat DOCKER chain's DNAT rules of a dump.
 *
 *   publishedPorts(parseIptables(saved)) // [{ proto: 'tcp', hostPort: '8080', address: '172.17.0.2', port: '80' }]
 */
export function publishedPorts(dump: IptablesDump): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const item of dump.items) {
    if (item.kind !== 'table' || item.name !== 'nat') continue;
    // Docker writes its port DNAT rules in the nat DOCKER chain (kube-proxy's, in KUBE-SEP-*,
    // are not published host ports); the substring test spares the parse of other rules.
    for (const s of chainRules(item, 'DOCKER')) {
      if (s.raw !== undefined && !s.raw.includes('DNAT')) continue;
      const t = s.spec.target;
      if (t?.name !== 'DNAT') continue;
      const proto = ruleProtocol(s)?.value;
      const dport = s.spec.matches.flatMap((m) => m.options).find((o) => o.flag === '--dport' && !o.negated)?.values[0];
      const to = t.options.find((o) => o.flag === '--to-destination' || o.flag === '--to')?.values[0];
      if (proto === undefined || dport === undefined || to === undefined) continue;
      // `192.0.2.2:80`, `[2001:db8::2]:80`, or an address alone.
      const m = /^\[([^\]]+)\](?::(.+))?$/.exec(to) ?? /^([^:]+)(?::(.+))?$/.exec(to) ?? [to, to];
      const p: PublishedPort = { proto, hostPort: dport, address: m[1]! };
      if (m[2] !== undefined) p.port = m[2];
      out.push(p);
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
