// The policy, version 1, after validation and normalisation (docs/design.md#the-policy).
// Loaders produce this; compilers and the ipset reconciler consume it.
import type { SetSpec } from '../ipset/set-spec.js';
import type { SetTypeName } from '../ipset/settypes.js';
import type { Family } from '../net/family.js';

export type { Family };

/** One `from` item: anyone, an address or CIDR (normalised, with its family), or an ipset. */
export type Source =
  | { kind: 'any' }
  | { kind: 'cidr'; family: Family; /** canonical `addr/len` as iptables-save prints it */ cidr: string }
  | { kind: 'set'; name: string };

export interface PortRange {
  from: number;
  to: number; // equal to `from` for a single port
}

/**
 * The containers an allow rule names, resolved against a `docker inspect` snapshot
 * (`--containers FILE`, src/policy/names-resolve.ts): one container by name, the containers of a
 * compose service (label com.docker.compose.service, optionally com.docker.compose.project), or
 * every container with a label.
 */
export type ContainerSelector =
  | { kind: 'container'; name: string }
  | { kind: 'service'; service: string; project?: string }
  | { kind: 'label'; key: string; value: string };

/** One port Docker publishes for a selected container, as the snapshot says. */
export interface PublishedTarget {
  family: Family;
  hostPort: number;
  /** The host address it is published on (`-p 192.0.2.1:8080:80`); absent: every address. */
  hostIp?: string;
  /** The container's own port, which DNAT sends the connection to. */
  containerPort: number;
}

export interface AllowRule {
  name: string;
  proto: 'tcp' | 'udp' | 'sctp';
  /** Published host ports (matched through conntrack's original destination port). */
  port?: PortRange[];
  /** Container ports, after DNAT (matched with --dport). */
  containerPort?: PortRange[];
  /** Optional container address(es), after DNAT. */
  to?: Extract<Source, { kind: 'cidr' }>[];
  from: Source[];
  /**
   * Containers named by the rule. Before resolution `port` / `containerPort` narrow the ports
   * they publish (omitted: every one); resolution replaces both with `published`.
   */
  select?: ContainerSelector;
  /** The resolved ports of the selected containers: the rules match these, and only these. */
  published?: PublishedTarget[];
}

/**
 * A set of the policy, checked by the loader as ipset would check it (src/ipset/set-spec.ts).
 * `family` keeps the policy's word (`inet` / `inet6`); options are as `ipset create` takes them
 * ({ hashsize: 1024, maxelem: 65536, timeout: 0, comment: true }); entries as written (the ipset
 * code normalises them for comparison).
 */
export interface IpsetSpec extends SetSpec {
  type: SetTypeName;
}

export interface Policy {
  version: 1;
  name: string;
  chain: 'DOCKER-USER' | 'DOCKER';
  external: string[];
  established: boolean;
  allow: AllowRule[];
  sources: Source[];
  default: 'drop' | 'reject';
  ipsets: IpsetSpec[];
}
