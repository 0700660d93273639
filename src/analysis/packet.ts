// The packet as the evaluator carries it through the hooks: addresses as bytes, what conntrack
// knows of its connection, and where it is. Immutable: a rewrite (DNAT, routing) makes a copy,
// so that both outcomes of an unknown match can go on from the same packet.
import type { Family, TableName } from '../iptables/ast.js';
import type { SetIndex } from './sets.js';
import type { Tri } from './types.js';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD';

/** What conntrack holds for the packet: nothing yet (raw runs before it), or a state. */
export type CtState = 'none' | 'new' | 'established' | 'untracked';

export interface Pkt {
  readonly family: Family;
  readonly in: string;
  /** The interface routing chose (FORWARD); undefined before routing or when no known route covers the destination. */
  readonly out: string | undefined;
  readonly hook: Hook;
  readonly table: TableName;
  readonly src: readonly number[];
  readonly dst: readonly number[];
  readonly proto: number | undefined;
  readonly sport: number;
  readonly dport: number | undefined;
  /** The destination before DNAT (conntrack's original tuple). */
  readonly origDst: readonly number[];
  readonly origDport: number | undefined;
  readonly ct: CtState;
  /** The connection's state as it will be once conntrack has run (for nat, walked as the first packet). */
  readonly ctAfter: 'new' | 'established' | 'untracked';
  readonly dnat: boolean;
  readonly reply: boolean;
  /** TCP: the first packet of a connection is a SYN. */
  readonly syn: boolean;
}

/** What does not change along the walk: the host's facts and sets. */
export interface Env {
  readonly sets: SetIndex;
  /** Whether an address is one of the host's (Tri: a derived list may be incomplete). */
  readonly isLocal: (family: Family, bytes: readonly number[]) => Tri;
  /** Whether an address is a broadcast address of a network the host is on. */
  readonly isBroadcast: (family: Family, bytes: readonly number[]) => boolean;
}
