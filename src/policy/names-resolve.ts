// Containers by name: the `container:`, `service:` (+ `project:`) and `label:` of allow rules,
// resolved against a `docker inspect` snapshot (src/docker/containers.ts) into the host ports
// Docker publishes for them.
//
// Decisions:
// - The rules match the published host port through conntrack (and the host address when the
//   port is published on one address only) and the container's own port after DNAT, never the
//   container's address: a container re-created with a new address, publishing the same ports,
//   is still matched without a re-apply. A re-apply (from a new snapshot) is needed when the
//   published ports change, or when another container joins a service or label.
// - `service:` without `project:` must name one compose project: containers of two projects
//   with the same service name are an error, not both (a second project started on the host
//   would otherwise be let in silently). Replicas of one service in one project are all selected.
// - A rule selects what its containers publish for its proto: `port:` narrows to host ports,
//   `container_port:` to container ports; each listed port must be published by at least one
//   selected container (a typo would otherwise open nothing, silently).
// - The targets are sorted: the snapshot's order (`docker ps` lists the newest first) does not
//   change the rules.
import {
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
  type ContainerInfo,
  type ContainersSnapshot,
  type PortBinding,
} from '../docker/containers.js';
import { parseIPv4 } from '../net/address.js';
import type { Family } from '../net/family.js';
import { quoted } from '../text/quote.js';
import { PolicyPathError } from './compile.js';
import { selectorText } from './selector.js';
import type { AllowRule, ContainerSelector, Policy, PortRange, PublishedTarget } from './types.js';

/** At most this many names in a "the snapshot has: ..." list. */
const LIST_MAX = 20;

function listOf(items: readonly string[]): string {
  const unique = [...new Set(items)].sort();
  if (unique.length === 0) return 'none';
  const shown = unique.slice(0, LIST_MAX).join(', ');
  return unique.length > LIST_MAX ? `${shown} and ${unique.length - LIST_MAX} more` : shown;
}

/** Whether a policy names containers (and so needs a snapshot). */
export function policyNamesContainers(policy: Policy): boolean {
  return policy.allow.some((a) => a.select !== undefined);
}

/**
 * The policy with every rule that names containers resolved against `snapshot`: its `port` and
 * `container_port` replaced by `published`, the ports Docker publishes for those containers.
 * A policy without names is returned as it is, with or without a snapshot.
 * @throws PolicyPathError at the rule's selector or port when a name or port is not in the
 *   snapshot, or when the policy names containers and no snapshot is given.
 */
export function resolveNames(policy: Policy, snapshot: ContainersSnapshot | undefined): Policy {
  if (!policyNamesContainers(policy)) return policy;
  const allow = policy.allow.map((a, i) => {
    if (a.select === undefined) return a;
    const where = ['allow', i, a.select.kind];
    if (snapshot === undefined) {
      throw new PolicyPathError(
        where,
        `${selectorText(a.select)} is resolved from a snapshot of the running containers: save one with docker inspect $(docker ps -q) > containers.json and give it with --containers containers.json`,
      );
    }
    return resolveRule(a, i, select(a.select, snapshot, where));
  });
  return Object.freeze({ ...policy, allow });
}

/** The containers a selector names; never empty. */
export function select(sel: ContainerSelector, snap: ContainersSnapshot, where: (string | number)[]): ContainerInfo[] {
  const all = snap.containers;
  if (sel.kind === 'container') {
    const found = all.filter((c) => c.name === sel.name);
    if (found.length === 0)
      throw new PolicyPathError(
        where,
        `no container named ${quoted(sel.name)} in ${snap.file}; it has: ${listOf(all.map((c) => c.name))}`,
      );
    return found;
  }
  if (sel.kind === 'label') {
    const found = all.filter((c) => c.labels[sel.key] === sel.value);
    if (found.length > 0) return found;
    const values = all.flatMap((c) => (sel.key in c.labels ? [`${sel.key}=${c.labels[sel.key]}`] : []));
    const has =
      values.length > 0
        ? `its values there: ${listOf(values)}`
        : `labels there: ${listOf(all.flatMap((c) => Object.keys(c.labels)))}`;
    throw new PolicyPathError(
      where,
      `no container has the label ${quoted(`${sel.key}=${sel.value}`)} in ${snap.file}; ${has}`,
    );
  }
  const service = (c: ContainerInfo) => c.labels[COMPOSE_SERVICE_LABEL];
  const project = (c: ContainerInfo) => c.labels[COMPOSE_PROJECT_LABEL] ?? '(no project)';
  const found = all.filter(
    (c) => service(c) === sel.service && (sel.project === undefined || project(c) === sel.project),
  );
  if (found.length === 0) {
    const known = all.flatMap((c) => (service(c) === undefined ? [] : [`${service(c)} (project ${project(c)})`]));
    throw new PolicyPathError(
      where,
      `no container of ${selectorText(sel)} in ${snap.file} (label ${COMPOSE_SERVICE_LABEL}); compose services there: ${listOf(known)}`,
    );
  }
  const projects = [...new Set(found.map(project))];
  if (sel.project === undefined && projects.length > 1) {
    throw new PolicyPathError(
      where,
      `compose service ${quoted(sel.service)} runs in ${projects.length} projects in ${snap.file} (${listOf(projects)}): add project: NAME to the rule to say which`,
    );
  }
  return found;
}

const inRanges = (n: number, ranges: readonly PortRange[]) => ranges.some((r) => r.from <= n && n <= r.to);
const rangeText = (p: PortRange) => (p.from === p.to ? `${p.from}` : `${p.from}:${p.to}`);

/** A host address as `docker ps` shows it before the port: nothing for every address. */
const hostText = (ip: string): string =>
  ip === '' || ip === '0.0.0.0' || ip === '::' ? '' : ip.includes(':') ? `[${ip}]:` : `${ip}:`;

/** What the containers publish, for messages: `web 8080->80/tcp, 8443->443/tcp`. */
function publishedText(cs: readonly ContainerInfo[]): string {
  return cs
    .map((c) => {
      const ports = c.ports.flatMap((p) =>
        p.bindings.map((b) => `${hostText(b.hostIp)}${b.hostPort}->${p.port}/${p.proto}`),
      );
      return `${c.name} ${ports.length > 0 ? [...new Set(ports)].join(', ') : 'publishes nothing'}`;
    })
    .join('; ');
}

/** The families a binding is published for, given the container's addresses. */
function bindingFamilies(b: PortBinding, c: ContainerInfo): { family: Family; hostIp?: string }[] {
  const has = (f: Family) => c.addresses[f].length > 0;
  if (b.hostIp === '') return ([4, 6] as const).filter(has).map((family) => ({ family }));
  const family: Family = parseIPv4(b.hostIp) === undefined ? 6 : 4;
  if (!has(family)) return [];
  const wildcard = b.hostIp === '0.0.0.0' || b.hostIp === '::';
  return [wildcard ? { family } : { family, hostIp: b.hostIp }];
}

function resolveRule(a: AllowRule, i: number, cs: ContainerInfo[]): AllowRule {
  const sel = a.select!;
  const targets = new Map<string, PublishedTarget>();
  const usedPort = new Set<number>();
  const usedContainerPort = new Set<number>();
  for (const c of cs) {
    for (const p of c.ports) {
      if (p.proto !== a.proto) continue;
      if (a.containerPort && !inRanges(p.port, a.containerPort)) continue;
      for (const b of p.bindings) {
        if (a.port && !inRanges(b.hostPort, a.port)) continue;
        for (const fam of bindingFamilies(b, c)) {
          const t: PublishedTarget = {
            family: fam.family,
            hostPort: b.hostPort,
            ...(fam.hostIp !== undefined && { hostIp: fam.hostIp }),
            containerPort: p.port,
          };
          targets.set(`${t.family} ${t.hostPort} ${t.hostIp ?? ''} ${t.containerPort}`, t);
          a.port?.forEach((r, j) => inRanges(b.hostPort, [r]) && usedPort.add(j));
          a.containerPort?.forEach((r, j) => inRanges(p.port, [r]) && usedContainerPort.add(j));
        }
      }
    }
  }
  const what = `${selectorText(sel)}${cs.length > 1 ? ` (${cs.length} containers)` : ''}`;
  a.port?.forEach((r, j) => {
    if (!usedPort.has(j))
      throw new PolicyPathError(
        ['allow', i, 'port', j],
        `${what} publishes no ${a.proto} host port ${rangeText(r)}; published: ${publishedText(cs)}`,
      );
  });
  a.containerPort?.forEach((r, j) => {
    if (!usedContainerPort.has(j))
      throw new PolicyPathError(
        ['allow', i, 'container_port', j],
        `${what} has no published ${a.proto} container port ${rangeText(r)}; published: ${publishedText(cs)}`,
      );
  });
  if (targets.size === 0)
    throw new PolicyPathError(
      ['allow', i, sel.kind],
      `${what} publishes no ${a.proto} port on an address it has; published: ${publishedText(cs)}`,
    );
  const published = [...targets.values()].sort(
    (x, y) =>
      x.family - y.family ||
      x.hostPort - y.hostPort ||
      x.containerPort - y.containerPort ||
      (x.hostIp ?? '').localeCompare(y.hostIp ?? ''),
  );
  const { port: _port, containerPort: _cport, ...rest } = a;
  return { ...rest, published };
}
