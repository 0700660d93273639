// Which Docker layout a dump shows, read from the dump alone (docs/docker.md#layouts-by-docker-version):
// the chains each version writes, how FORWARD reaches them, and each bridge's gateway mode.
// What was seen is kept, so that an unknown layout says what made it unknown.
import type { IptablesDump, Rule } from '../iptables/ast.js';
import type { IpsetDump } from '../ipset/ast.js';
import { type BridgeLayout, dockerBridges } from './layout-bridges.js';
import { dfwTagged, lineOf, setNames, target } from './layout-rule.js';
import { DumpView } from './layout-view.js';

export type { BridgeLayout, GatewayMode } from './layout-bridges.js';

/**
 * - `none`: no Docker chain at all;
 * - `classic`: 17.06 to 27 (`DOCKER-ISOLATION-STAGE-1/2` jumped to from FORWARD);
 * - `docker-28.0.0`: FORWARD matches Docker's bridges through the ipset `docker-ext-bridges-v4/v6`;
 * - `docker-28`: 28.0.1 to 28.x (`DOCKER-FORWARD`, `DOCKER-CT`, `DOCKER-BRIDGE`, the isolation stages);
 * - `docker-29`: 29 with the iptables backend (`DOCKER-INTERNAL` in place of the stages);
 * - `nftables`: Docker's nftables backend (no Docker chain, a `DOCKER-USER` left from iptables);
 * - `unknown`: Docker chains that match none of these (see `seen`).
 */
export type LayoutKind = 'none' | 'classic' | 'docker-28.0.0' | 'docker-28' | 'docker-29' | 'nftables' | 'unknown';

export interface DockerUserJump {
  readonly line: number;
  /** 1-based position in FORWARD. */
  readonly position: number;
  /** The jump `dfw transform --create-chain` adds (`dfw:<policy>:forward`). */
  readonly dfw: boolean;
}

export interface DockerLayout {
  readonly kind: LayoutKind;
  /** One line for people: `Docker 29 (iptables backend)`. */
  readonly description: string;
  /** Swarm's routing mesh (`DOCKER-INGRESS`) is there. */
  readonly swarmIngress: boolean;
  readonly dockerUser: {
    readonly declared: boolean;
    readonly line?: number;
    readonly jumps: readonly DockerUserJump[];
  };
  readonly bridges: readonly BridgeLayout[];
  /** The facts the verdict rests on, or that left it unknown: `filter chain DOCKER-FORWARD`. */
  readonly seen: readonly string[];
}

export interface LayoutOptions {
  /** The `ipset save` dump of the same host: Docker 28.0.0's `docker-ext-bridges-v4` set is there. */
  readonly ipsets?: IpsetDump;
}

const DESCRIPTIONS: Record<LayoutKind, string> = {
  none: 'no Docker chains',
  classic: 'Docker 17.06 to 27 (isolation stages in FORWARD)',
  'docker-28.0.0': 'Docker 28.0.0 (FORWARD matches the ipset docker-ext-bridges)',
  'docker-28': 'Docker 28.0.1 to 28.x (DOCKER-FORWARD, DOCKER-CT, DOCKER-BRIDGE, isolation stages)',
  'docker-29': 'Docker 29 (iptables backend, DOCKER-INTERNAL)',
  nftables: "Docker's nftables backend (no Docker chains in iptables; DOCKER-USER left behind)",
  unknown: 'Docker chains of an unknown layout',
};

/** Docker's own chains: DOCKER*, except the admin's DOCKER-USER and Swarm's DOCKER-INGRESS. */
export function isDockerOwnChain(name: string): boolean {
  return name.startsWith('DOCKER') && name !== 'DOCKER-USER' && name !== 'DOCKER-INGRESS';
}

const EXT_BRIDGES = /^docker-ext-bridges-v[46]$/;

function dockerUserOf(view: DumpView): DockerLayout['dockerUser'] {
  const decl = view.decls('filter').get('DOCKER-USER');
  const jumps: DockerUserJump[] = [];
  view.rules('filter', 'FORWARD').forEach((r: Rule, i) => {
    if (target(r) === 'DOCKER-USER') jumps.push({ line: lineOf(r), position: i + 1, dfw: dfwTagged(r) });
  });
  const line = decl === undefined ? undefined : lineOf(decl);
  return { declared: decl !== undefined, ...(line ? { line } : {}), jumps };
}

function kindOf(view: DumpView, options: LayoutOptions, seen: string[]): LayoutKind {
  const chains = view.filterChains();
  const own = chains.filter(isDockerOwnChain);
  for (const c of own) seen.push(`filter chain ${c}`);
  const has = (c: string) => own.includes(c);
  const natDocker = view.rules('nat', 'DOCKER').length > 0;
  if (natDocker) seen.push('nat chain DOCKER');
  const forward = view.rules('filter', 'FORWARD');
  const extSet = forward.find(
    (r) => r.spec.matches.some((m) => m.name === 'set') && setNames(r).some((s) => EXT_BRIDGES.test(s)),
  );
  if (extSet !== undefined) seen.push(`FORWARD matches set docker-ext-bridges (line ${lineOf(extSet)})`);
  const extInIpsets = options.ipsets?.lines.some((l) => l.kind === 'create' && EXT_BRIDGES.test(l.set)) ?? false;
  if (extInIpsets) seen.push('ipset docker-ext-bridges in the ipset dump');
  const stages = has('DOCKER-ISOLATION-STAGE-1') || has('DOCKER-ISOLATION');
  if (has('DOCKER-FORWARD') && has('DOCKER-INTERNAL')) return 'docker-29';
  if (has('DOCKER-FORWARD') && (stages || has('DOCKER-CT'))) return 'docker-28';
  if (extSet !== undefined || (extInIpsets && own.length > 0)) return 'docker-28.0.0';
  if (stages && forward.some((r) => target(r)?.startsWith('DOCKER-ISOLATION'))) return 'classic';
  if (own.length === 0 && !natDocker) return noDockerChains(view, seen);
  return 'unknown';
}

/** No Docker chain: a DOCKER-USER that is no tool's (not dfw's --create-chain) is left from the iptables backend. */
function noDockerChains(view: DumpView, seen: string[]): LayoutKind {
  const user = dockerUserOf(view);
  const foreign = user.jumps.filter((j) => !j.dfw);
  if (foreign.length > 0) {
    seen.push(`FORWARD -j DOCKER-USER (line ${foreign[0]!.line}) without Docker chains`);
    return 'nftables';
  }
  if (user.declared)
    seen.push(user.jumps.length > 0 ? 'DOCKER-USER jumped to by dfw (--create-chain)' : 'DOCKER-USER not jumped to');
  if (swarm(view)) return 'unknown';
  return 'none';
}

function swarm(view: DumpView): boolean {
  return view.decls('filter').has('DOCKER-INGRESS') || view.rules('nat', 'DOCKER-INGRESS').length > 0;
}

/** The layout of a view already made (lint shares one). */
export function layoutOfView(view: DumpView, options: LayoutOptions = {}): DockerLayout {
  const seen: string[] = [];
  const kind = kindOf(view, options, seen);
  const swarmIngress = swarm(view);
  if (swarmIngress) seen.push('DOCKER-INGRESS (Swarm routing mesh)');
  return {
    kind,
    description: DESCRIPTIONS[kind] + (swarmIngress ? ', with Swarm ingress' : ''),
    swarmIngress,
    dockerUser: dockerUserOf(view),
    bridges: kind === 'none' || kind === 'nftables' ? [] : dockerBridges(view),
    seen,
  };
}

/**
 * The Docker layout of an iptables-save dump.
 *
 *   dockerLayout(parseIptables(saved)).kind // 'docker-29'
 */
export function dockerLayout(dump: IptablesDump, options: LayoutOptions = {}): DockerLayout {
  return layoutOfView(new DumpView(dump), options);
}
