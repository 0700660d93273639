// Rules in Docker's own chains that Docker did not write: Docker flushes and rebuilds those
// chains at every daemon start (docs/docker.md#docker-rebuilds-its-chains). A rule is Docker's
// when its shape (its options and matches, values left out) is one Docker writes in that chain.
import type { Rule, TableName } from '../../../iptables/ast.js';
import { RULE_OPTIONS } from '../../../iptables/rule-options.js';
import { dfwTagged } from '../../../docker/layout-rule.js';
import type { LintRule } from '../types.js';

/** Flags whose value is part of the shape (the others stand for "some value"). */
const KEEP_VALUE = new Set(['--ctstate', '--state']);

/** `-d ! -i -o -p -m P --dport -j ACCEPT`: the rule without its values (the protocol match as P). */
export function shapeOf(r: Rule): string {
  const parts: string[] = [];
  const own = [...r.spec.options].sort(
    (a, b) => (RULE_OPTIONS.get(a.flag)?.order ?? 9) - (RULE_OPTIONS.get(b.flag)?.order ?? 9),
  );
  for (const o of own) parts.push(`${o.negated ? '! ' : ''}${RULE_OPTIONS.get(o.flag)?.flag ?? o.flag}`);
  const proto = r.spec.options.find((o) => RULE_OPTIONS.get(o.flag)?.flag === '-p')?.values[0];
  if (proto === 'icmp' || proto === 'ipv6-icmp') parts[parts.length - 1] += ` ${proto}`;
  for (const m of r.spec.matches) {
    parts.push(`-m ${m.name === proto ? 'P' : m.name}`);
    for (const o of m.options)
      parts.push(`${o.negated ? '! ' : ''}${o.flag}${KEEP_VALUE.has(o.flag) ? ` ${o.values.join(' ')}` : ''}`);
  }
  const t = r.spec.target;
  if (t !== undefined) {
    parts.push(`${t.kind === 'goto' ? '-g' : '-j'} ${t.name}`);
    for (const o of t.options) parts.push(o.flag);
  }
  return parts.join(' ');
}

const PORT_ACCEPT = '-d ! -i -o -p -m P --dport -j ACCEPT';
/** `--internal` networks: up to 28 in the isolation stage, from 29 in DOCKER-INTERNAL with both addresses. */
const INTERNAL = ['! -s -o -j DROP', '! -d -i -j DROP', '-s ! -d -i -j DROP', '! -s -d -o -j DROP', '-i -o -j ACCEPT'];

/** The shapes Docker writes, per table and chain (17.06 to 29; docs/docker.md#layouts-by-docker-version). */
const DOCKER_SHAPES: Record<string, readonly string[]> = {
  'filter DOCKER': [
    PORT_ACCEPT,
    '! -i -o -j DROP',
    '! -i -o -j ACCEPT',
    '-o -p icmp -j ACCEPT',
    '-o -p ipv6-icmp -j ACCEPT',
  ],
  'filter DOCKER-BRIDGE': ['-o -j DOCKER'],
  'filter DOCKER-CT': ['-o -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'],
  'filter DOCKER-FORWARD': [
    '-j DOCKER-CT',
    '-j DOCKER-ISOLATION-STAGE-1',
    '-j DOCKER-INTERNAL',
    '-j DOCKER-BRIDGE',
    '-i -j ACCEPT',
    '-m mark --mark -j ACCEPT',
  ],
  'filter DOCKER-ISOLATION-STAGE-1': ['-i ! -o -j DOCKER-ISOLATION-STAGE-2', '-j RETURN', ...INTERNAL],
  'filter DOCKER-ISOLATION-STAGE-2': ['-o -j DROP', '-j RETURN'],
  'filter DOCKER-ISOLATION': ['-i -o -j DROP', '-j RETURN', ...INTERNAL],
  'filter DOCKER-INTERNAL': INTERNAL,
  'filter DOCKER-INGRESS': [
    '-p -m P --dport -j ACCEPT',
    '-p -m state --state RELATED,ESTABLISHED -m P --sport -j ACCEPT',
    '-p -m conntrack --ctstate RELATED,ESTABLISHED -m P --sport -j ACCEPT',
    '-j RETURN',
  ],
  'nat DOCKER': [
    '-i -j RETURN',
    '! -i -p -m P --dport -j DNAT --to-destination',
    '-d ! -i -p -m P --dport -j DNAT --to-destination',
    '-p -m P --dport -j DNAT --to-destination',
    '-d -p -m P --dport -j DNAT --to-destination',
  ],
  'nat DOCKER-INGRESS': ['-p -m P --dport -j DNAT --to-destination', '-j RETURN'],
};

export const dockerChainHandRule: LintRule = {
  id: 'docker-chain-hand-rule',
  severity: 'warning',
  short: "A rule in one of Docker's own chains that Docker did not write",
  full:
    'Docker owns every chain whose name starts with DOCKER except DOCKER-USER: it flushes and rebuilds them ' +
    'at every daemon start. A rule added there by hand (as older guides taught for the DOCKER chain) works ' +
    'until the next restart or upgrade, then silently disappears.',
  help:
    "Put the rule in DOCKER-USER (with RETURN where it lets traffic through) or in a chain of one's own " +
    "jumped to from there; a dfw policy's `allow:` and `sources:` entries do that and survive restarts.",
  check(ctx, report) {
    for (const d of ctx.dumps) {
      for (const [key, shapes] of Object.entries(DOCKER_SHAPES)) {
        const [table, chain] = key.split(' ') as [TableName, string];
        for (const r of d.view.rules(table, chain)) {
          if (dfwTagged(r) || shapes.includes(shapeOf(r))) continue;
          report(
            d,
            { node: r, needle: `-A ${chain}` },
            `${table} ${chain} holds a rule Docker does not write: Docker flushes ${chain} when it starts, and the rule is lost`,
            'move it to DOCKER-USER (RETURN to let through, DROP/REJECT to deny); in a dfw policy, an `allow:` or `sources:` entry',
          );
        }
      }
    }
  },
};
