// One nftables table as dfw handles it: the part of `nft -j list ruleset` dfw compares and
// prints. Statements are kept in nft's own JSON form (libnftables-json(5)), so that the table
// dfw compiles from a policy and the table it reads back from the kernel are the same kind of
// value, printed by one printer (print.ts) and compared as printed text.

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const NFT_FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** A statement or expression in nft's JSON form, e.g. `{ "accept": null }`. */
export type NftJson = null | boolean | number | string | NftJson[] | { [key: string]: NftJson };

export interface NftSet {
  name: string;
  /** `ipv4_addr`, `ipv6_addr`, or whatever the live set says. */
  type: string;
  flags: string[];
  /** Elements in nft's JSON form: an address, `{prefix: {addr, len}}`, `{range: [a, b]}`. */
  elements: NftJson[];
}

export interface NftBaseChain {
  type: string;
  hook: string;
  prio: number;
  policy: string;
}

export interface NftRule {
  expr: NftJson[];
  comment?: string;
}

export interface NftChain {
  name: string;
  base?: NftBaseChain;
  rules: NftRule[];
}

export interface NftTable {
  family: NftFamily;
  name: string;
  sets: NftSet[];
  chains: NftChain[];
  /** Objects of other kinds in the table (maps, flowtables, counters...), as JSON: shown in diffs. */
  others: NftJson[];
}
