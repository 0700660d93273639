// The policy, version 1, after validation and normalisation (docs/design.md#the-policy).
// Loaders produce this; compilers and the ipset reconciler consume it.

export type Family = 4 | 6;

/** One `from` item: anyone, an address or CIDR (normalised, with its family), or an ipset. */
export type Source =
  | { kind: 'any' }
  | { kind: 'cidr'; family: Family; /** canonical `addr/len` as iptables-save prints it */ cidr: string }
  | { kind: 'set'; name: string };

export interface PortRange {
  from: number;
  to: number; // equal to `from` for a single port
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
}

export interface IpsetSpec {
  name: string;
  /** ipset type, e.g. `hash:ip`, `hash:net`, `hash:ip,port`. */
  type: string;
  family: 'inet' | 'inet6';
  /** create options other than family, as `ipset` takes them: { hashsize: 1024, maxelem: 65536, timeout: 0, comment: true } */
  options: Record<string, string | number | boolean>;
  /** Entries as written in the policy (normalised by the ipset code for comparison). */
  entries: string[];
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
