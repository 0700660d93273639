// Rules that name a published port where the packet no longer carries it: INPUT (the DNAT'ed
// packet is forwarded, never delivered to the host) and DOCKER-USER/FORWARD with `--dport <host
// port>` (after DNAT the packet carries the container's port) (docs/docker.md#match-the-published-port-through-conntrack).
import { destinationPorts, matchOptions, type PortSpan } from '../../../docker/layout-rule.js';
import type { Rule } from '../../../iptables/ast.js';
import { ruleProtocol } from '../../../iptables/rule.js';
import { portSpan } from '../../../docker/layout-rule.js';
import { reachedFrom } from '../walk.js';
import type { LintRule, LintedDump, PublishedRule } from '../types.js';

const overlaps = (a: PortSpan, b: PortSpan): boolean => a.from <= b.to && b.from <= a.to;

/** The published ports (of the rule's protocol, if it names one) whose host port the rule's --dport names. */
function hostPortsNamed(r: Rule, published: readonly PublishedRule[]): { port: PublishedRule; span: PortSpan }[] {
  const ports = destinationPorts(r);
  if (ports === undefined) return [];
  const proto = ruleProtocol(r);
  const out: { port: PublishedRule; span: PortSpan }[] = [];
  for (const p of published) {
    if (proto !== undefined && (proto.negated || proto.value !== p.proto)) continue;
    const host = portSpan(p.hostPort);
    const span = host && ports.find((s) => overlaps(s, host));
    if (span) out.push({ port: p, span });
  }
  return out;
}

/** Whether a loopback-only publish (`-d 127.0.0.1`): it is reached through INPUT with the proxy, and not from outside. */
const loopback = (p: PublishedRule): boolean => p.hostAddress?.startsWith('127.') === true || p.hostAddress === '::1';

const portNeedle = (r: Rule): string | undefined =>
  matchOptions(r, ['--dport', '--dports', '--destination-port', '--destination-ports'])[0]?.option.flag;

/** `172.17.0.2:80`, `[2001:db8::2]:80`: where a published port leads. */
export const destinationText = (p: PublishedRule): string =>
  p.port === undefined ? p.address : p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;

const describe = (p: PublishedRule): string => `${p.hostPort}/${p.proto} (DNAT to ${destinationText(p)})`;

export const inputRuleForPublishedPort: LintRule = {
  id: 'input-rule-for-published-port',
  severity: 'warning',
  short: 'An INPUT rule matches a port Docker publishes: it never sees that traffic',
  full:
    "Docker publishes a port with a DNAT rule in nat PREROUTING, before routing: the packet's destination " +
    'becomes the container, so it is forwarded (filter FORWARD, DOCKER-USER) and never reaches INPUT. A rule ' +
    'in INPUT that allows or blocks the published port (ufw, firewalld, a hand-written rule) therefore does ' +
    'nothing for it: the port is as open as Docker made it.',
  help:
    'Filter published ports in DOCKER-USER, matching the original port through conntrack ' +
    '(`-m conntrack --ctorigdstport 8080 --ctdir ORIGINAL`); a dfw policy does it with an `allow:` entry ' +
    'with `port: 8080`.',
  check(ctx, report) {
    for (const d of ctx.dumps) {
      for (const r of d.view.rules('filter', 'INPUT')) {
        if (destinationPorts(r) === undefined) continue;
        const hits = hostPortsNamed(r, d.published).filter((h) => !loopback(h.port));
        if (hits.length === 0) continue;
        const p = hits[0]!.port;
        report(
          d,
          { node: r, needle: portNeedle(r) },
          `INPUT rule matches ${describe(p)}, but Docker DNATs it in PREROUTING: the packet goes through FORWARD and this rule never sees it`,
          `filter it in DOCKER-USER by the original port: \`-m conntrack --ctorigdstport ${p.hostPort} --ctdir ORIGINAL\`; in a dfw policy: \`allow: [{ name: …, proto: ${p.proto}, port: ${p.hostPort}, from: … }]\``,
        );
      }
    }
  },
};

/** Whether the rule looks at the connection's original destination port already. */
const usesOrigPort = (r: Rule): boolean => matchOptions(r, ['--ctorigdstport']).length > 0;

function containerPortHits(d: LintedDump, r: Rule): PublishedRule | undefined {
  if (destinationPorts(r) === undefined || usesOrigPort(r)) return undefined;
  for (const { port } of hostPortsNamed(r, d.published)) {
    if (port.port === undefined || port.port === port.hostPort) continue;
    // The same number may be some container's own port: then the rule can be meant for it.
    const host = portSpan(port.hostPort)!;
    const alsoContainerPort = d.published.some((q) => {
      const own = q.port === undefined ? undefined : portSpan(q.port);
      return own !== undefined && q.proto === port.proto && overlaps(own, host);
    });
    if (!alsoContainerPort) return port;
  }
  return undefined;
}

export const containerPortMatch: LintRule = {
  id: 'container-port-match',
  severity: 'warning',
  short: 'A DOCKER-USER or FORWARD rule matches the host port of a published port with --dport',
  full:
    'FORWARD and DOCKER-USER see a published port after DNAT: the destination is the container and its own ' +
    "port. A rule matching `--dport 8080` for `-p 8080:80` never matches (unless some container's own port is " +
    '8080): the port it was meant to allow stays closed, or the one it was meant to block stays open. This is ' +
    'the mistake of the guides that wrote DOCKER-USER rules like INPUT rules.',
  help:
    'Match the original destination port through conntrack: `-m conntrack --ctorigdstport 8080 --ctdir ORIGINAL`, ' +
    "or the container's port (`--dport 80`, with `-d <container>`). In a dfw policy: `port: 8080` (the host port) " +
    'or `container_port: 80`.',
  check(ctx, report) {
    for (const d of ctx.dumps) {
      const chains = new Set(['FORWARD', ...reachedFrom(d.view, 'DOCKER-USER')]);
      for (const chain of chains) {
        for (const r of d.view.rules('filter', chain)) {
          const p = containerPortHits(d, r);
          if (p === undefined) continue;
          report(
            d,
            { node: r, needle: portNeedle(r) },
            `${chain} rule matches --dport ${p.hostPort}, the host port of ${describe(p)}: after DNAT the packet carries port ${p.port}, so this rule never matches it`,
            `match the original port: \`-m conntrack --ctorigdstport ${p.hostPort} --ctdir ORIGINAL\`; in a dfw policy: \`port: ${p.hostPort}\` (or \`container_port: ${p.port}\`)`,
          );
        }
      }
    }
  },
};
