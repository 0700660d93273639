// The evaluator's contract, shared by trace, exposure and lint (docs/design.md, "Seeing what a
// ruleset does"). The evaluator reads a parsed dump (and optionally an ipset dump) and answers,
// for one packet arriving from outside, what the kernel would do with it. Three values
// throughout: a match it does not model is `unknown`, never guessed.
import type { Family, TableName } from '../iptables/ast.js';

/** A packet arriving on an interface of the host, before any table has seen it. */
export interface Packet {
  readonly family: Family;
  /** The interface it arrives on (`eth0`). */
  readonly in: string;
  readonly src: string;
  readonly dst: string;
  /** `tcp`, `udp`, `sctp`, `icmp`, `ipv6-icmp`, or a protocol number as text. */
  readonly proto: string;
  /** Source port; the evaluator assumes an ephemeral one (e.g. 40000) when absent. */
  readonly sport?: number;
  /** Destination port (tcp/udp/sctp). */
  readonly dport?: number;
  /** conntrack state as the first rule sees it: a new connection, or a packet of an established one. */
  readonly state: 'new' | 'established';
  /**
   * For an established packet: whether it travels as the connection's first packet did
   * (`original`, the default) or back (`reply`, e.g. a server's answer to a container's own
   * connection). A reply's `dst` is the address after conntrack undid the connection's NAT.
   */
  readonly direction?: 'original' | 'reply';
}

/** The outcome of one match or rule: true, false, or not decidable offline. */
export type Tri = true | false | 'unknown';

/** What the kernel does with the packet in the end. */
export type Verdict = 'accept' | 'drop' | 'reject' | 'unknown';

/** One rule the packet met on its way, in the order met. */
export interface Step {
  readonly table: TableName;
  readonly chain: string;
  /** The rule's number within its chain, from 1 as `iptables -L --line-numbers` counts; 0 for the chain policy. */
  readonly rule: number;
  /** The line of the dump the rule was read from (1-based), when it was parsed from text. */
  readonly line?: number;
  /** The rule as iptables-save prints it (`-A FORWARD -j DOCKER-USER`), or `:FORWARD DROP` for a policy. */
  readonly text: string;
  readonly matched: Tri;
  /** Why: the first match that failed, or what could not be decided (`set ipfriends: no --ipsets given`). */
  readonly why: string;
  /** What the step is: a rule, a chain's policy, or the routing decision (`rule` 0 for the last two). */
  readonly kind?: 'rule' | 'policy' | 'routing';
}

/** Facts about the host that the dump does not state outright; derived from it unless given. */
export interface HostFacts {
  /** Addresses the host owns (addrtype LOCAL, INPUT vs FORWARD). */
  readonly localAddresses: readonly string[];
  /** Networks routed to an interface of the host (Docker's bridges): `{ name: 'docker0', cidr: '172.17.0.0/16' }`. */
  readonly routes: readonly { readonly name: string; readonly cidr: string }[];
  /**
   * Whether `localAddresses` lists every address of the host (true when given by the caller).
   * When false (derived), an address not in the list may still be local: addrtype LOCAL and the
   * INPUT/FORWARD choice are then unknown for it, not false.
   */
  readonly localAddressesComplete?: boolean;
}

export interface Evaluation {
  readonly verdict: Verdict;
  /** Every rule met, matched or not, in order. */
  readonly path: readonly Step[];
  /** The steps whose `matched` was unknown and could change the verdict (empty unless verdict is unknown). */
  readonly dependsOn: readonly Step[];
  /** Where routing sent the packet after nat PREROUTING: `forward` (with the out interface) or `input`. */
  readonly delivery: { readonly hook: 'forward' | 'input'; readonly out?: string };
  /** Destination after DNAT (equal to the packet's when no DNAT applied). */
  readonly dst: string;
  readonly dport?: number;
}
