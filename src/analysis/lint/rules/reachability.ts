// Rules that ask the evaluator what happens to a new connection from outside: a published port
// anyone can reach, and a direct-routing allow of the policy that Docker's raw-PREROUTING drop
// discards first (docs/docker.md#drops-in-the-raw-table).
import type { Family } from '../../../iptables/ast.js';
import { sourceLine } from '../../../source.js';
import { ipaddrOf } from '../reach.js';
import type { AllowRule, Policy, Source } from '../../../policy/types.js';
import { portSpan, target } from '../../../docker/layout-rule.js';
import { destinationText } from './published-ports.js';
import type { LintContext, LintRule, LintedDump, PublishedRule } from '../types.js';

/**
 * Sources that stand for "anyone on the internet": documentation addresses from different
 * networks, so that a rule allowing one network of them does not pass for "open to anyone".
 * A port is open to anyone when every one of them gets through.
 */
export const ANYONE: Record<Family, readonly string[]> = {
  4: ['192.0.2.201', '198.51.100.201', '203.0.113.201'],
  6: ['2001:db8:ffff::c9', '2001:db8:fffe::c9', '2001:db8:fffd::c9'],
};

const external = (policy: Policy | undefined): string[] =>
  policy !== undefined && policy.external.length > 0 ? policy.external : ['eth0'];

const loopback = (p: PublishedRule): boolean => p.hostAddress?.startsWith('127.') === true || p.hostAddress === '::1';

/**
 * Whether the policy lets anyone reach the published port: by its host port (`port:`), or by
 * the container's address and port it is DNAT'ed to (`container_port:`, `to:`), or by a
 * container name resolved to the host ports published for it.
 */
function policyAllowsAnyone(policy: Policy, p: PublishedRule, port: number): boolean {
  const any = (from: readonly Source[]) => from.some((s) => s.kind === 'any');
  if (any(policy.sources)) return true;
  const inner = p.port === undefined ? undefined : portSpan(p.port)?.from;
  const within = (ranges: AllowRule['port'], n: number | undefined) =>
    n !== undefined && (ranges ?? []).some((r) => r.from <= n && n <= r.to);
  const toMatches = (a: AllowRule) => (a.to ?? []).length === 0 || a.to!.some((t) => ipaddrOf(t.cidr) === p.address);
  return policy.allow.some(
    (a) =>
      a.proto === p.proto &&
      any(a.from) &&
      (within(a.port, port) ||
        (within(a.containerPort, inner) && toMatches(a)) ||
        // a rule naming containers, resolved from --containers: the host ports Docker published for them
        (a.published ?? []).some((t) => t.hostPort === port)),
  );
}

export const publishedPortOpen: LintRule = {
  id: 'published-port-open',
  severity: 'info',
  short: 'A published port that anyone on an external interface can reach',
  full:
    'Docker publishes ports on every address of the host by default, past INPUT and past ufw or firewalld. ' +
    'This lists each published port that a new connection from any address on an external interface ' +
    "reaches, as the rules in the dump decide it (raw, nat, DOCKER-USER and Docker's chains). With --policy " +
    'it is a warning when the policy does not allow that port from anywhere.',
  help:
    "Allow only the sources that need it: a dfw policy's `allow:` entry with `port:` and `from:`, and a " +
    '`default: drop`; or publish on 127.0.0.1 only (`-p 127.0.0.1:8080:80`) when only the host needs it.',
  needs: 'the evaluator; --policy for the warning',
  check(ctx, report) {
    if (ctx.reach === undefined) return;
    for (const d of ctx.dumps) {
      if (tooBigToProbe(ctx, d, 'published-port-open')) continue;
      for (const [i, p] of d.published.entries()) {
        if (ctx.reach.exhausted()) {
          ctx.notes.push(
            `published-port-open: ${d.published.length - i} of ${d.published.length} published ports of ${d.file} not probed (the probes' work budget was spent: each walks every rule on its path)`,
          );
          break;
        }
        if (loopback(p)) continue;
        const port = portSpan(p.hostPort)?.from;
        if (port === undefined || !['tcp', 'udp', 'sctp'].includes(p.proto)) continue;
        const iface = external(ctx.policy)[0]!;
        const reach = ctx.reach;
        const open = ANYONE[d.family].every(
          (src) =>
            reach.verdict(d, { in: iface, src, dst: p.hostAddress ?? '', proto: p.proto, dport: port }).verdict ===
            'accept',
        );
        if (!open) continue;
        const allowed = ctx.policy === undefined || policyAllowsAnyone(ctx.policy, p, port);
        report(
          d,
          { node: p.rule, needle: '--dport' },
          `published port ${p.hostPort}/${p.proto} (to ${destinationText(p)}) is open to anyone on ${iface}` +
            (ctx.policy !== undefined && !allowed
              ? `, and policy ${ctx.policy.name} does not allow it from anywhere`
              : ''),
          ctx.policy !== undefined && !allowed
            ? `apply the policy (\`dfw transform --policy P\`): its \`default: ${ctx.policy.default}\` closes what it does not allow`
            : `if not everyone needs it: \`allow: [{ name: …, proto: ${p.proto}, port: ${p.hostPort}, from: [<sources>] }]\` with \`default: drop\` in a dfw policy`,
          ctx.policy !== undefined && !allowed ? 'warning' : 'info',
        );
      }
    }
  },
};

/** A source the allow entry lets through: its first address of this family, else "anyone". */
function sourceOf(a: AllowRule, family: Family): string {
  for (const f of a.from) if (f.kind === 'cidr' && f.family === family) return ipaddrOf(f.cidr);
  return ANYONE[family][0]!;
}

/** Rules in the chains nat PREROUTING jumps to past which probes are not run (see tooBigToProbe). */
export const MAX_PROBE_PATH = 20_000;

/**
 * Every probe from outside walks nat PREROUTING and the chains it jumps to; on a kube-proxy
 * node KUBE-SERVICES alone has a rule per service port, tens of thousands, and the evaluator
 * reads (compiles) and walks them all. Past MAX_PROBE_PATH rules the probes are not run, and
 * the report says so.
 */
function tooBigToProbe(ctx: LintContext, d: LintedDump, rule: string): boolean {
  const chains = new Set(d.view.rules('nat', 'PREROUTING').flatMap((r) => target(r) ?? []));
  let rules = d.view.rules('nat', 'PREROUTING').length;
  for (const c of chains) rules += d.view.rules('nat', c).length;
  if (rules <= MAX_PROBE_PATH) return false;
  ctx.notes.push(
    `${rule}: ${d.file} not probed: nat PREROUTING and the chains it jumps to hold ${rules} rules (more than ${MAX_PROBE_PATH}, a kube-proxy node's services), which every probe would walk`,
  );
  return true;
}

/** Each `to` address and container port of a direct-routing allow entry, in this family. */
function directTargets(a: AllowRule, family: Family): { address: string; port: number }[] {
  const out: { address: string; port: number }[] = [];
  for (const to of a.to ?? []) {
    if (to.family !== family) continue;
    const address = ipaddrOf(to.cidr);
    for (const p of a.containerPort ?? []) out.push({ address, port: p.from });
  }
  return out;
}

export const rawDropBlocksAllow: LintRule = {
  id: 'raw-drop-blocks-allow',
  severity: 'warning',
  short: "The policy allows direct access to a container that Docker's raw-PREROUTING drop discards first",
  full:
    'From 28.0 Docker drops, in raw PREROUTING, packets sent straight to a container address from outside its ' +
    'bridge (per published port in 28.0 and 28.1, per container from 28.2). The raw table comes before ' +
    'DOCKER-USER, so an allow there (a dfw policy entry with `to:` and `container_port:`) can never let that ' +
    'traffic in: the rule looks right and does nothing.',
  help:
    'Use the published host port (`port:` in the policy), or give the network the gateway mode `routed` or ' +
    '`nat-unprotected` (`com.docker.network.bridge.gateway_mode_ipv4`), or, from 28.2, ' +
    '`com.docker.network.bridge.trusted_host_interfaces` / the daemon option `allow-direct-routing`.',
  needs: '--policy, and the evaluator',
  check(ctx, report) {
    const policy = ctx.policy;
    if (ctx.reach === undefined || policy === undefined) return;
    for (const d of ctx.dumps)
      if (!tooBigToProbe(ctx, d, 'raw-drop-blocks-allow')) checkDirect(ctx.reach, d, policy, report);
  },
};

function checkDirect(
  reach: NonNullable<Parameters<LintRule['check']>[0]['reach']>,
  d: LintedDump,
  policy: Policy,
  report: Parameters<LintRule['check']>[1],
): void {
  const raw = d.view.rules('raw', 'PREROUTING');
  for (const a of policy.allow) {
    for (const t of directTargets(a, d.family)) {
      if (reach.exhausted()) return;
      // A published port DNAT'ed to this address and port reaches it past the raw drop: the
      // allow serves that path too.
      const viaDnat = d.published.some(
        (p) =>
          !loopback(p) && p.address === t.address && p.proto === a.proto && portSpan(p.port ?? '')?.from === t.port,
      );
      if (viaDnat) continue;
      const iface = external(policy)[0]!;
      const src = sourceOf(a, d.family);
      const r = reach.verdict(d, { in: iface, src, dst: t.address, proto: a.proto, dport: t.port });
      if (r.verdict !== 'drop' || r.droppedIn?.table !== 'raw') continue;
      const at = raw.find((x) => sourceLine(x) === r.droppedIn?.line);
      if (at === undefined) continue;
      report(
        d,
        { node: at, needle: '-j DROP' },
        `policy ${policy.name}'s allow ${a.name} lets ${a.proto} ${t.port} to ${t.address} through, but no published port leads there and this raw PREROUTING drop discards direct access before DOCKER-USER`,
        `in the policy, match the published port instead (\`port: <host port>\` in allow ${a.name}), or set the network's gateway mode to routed / nat-unprotected`,
      );
    }
  }
}
