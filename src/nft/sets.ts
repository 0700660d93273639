// The policy's `ipsets:` as native nft sets, in dfw's own table: an nft host needs no ipset.
// Only what means the same in nft is translated; anything else is refused with the reason, at
// the set's place in the policy (PolicyPathError).
import type { Family } from '../net/family.js';
import { PolicyPathError } from '../policy/compile.js';
import type { IpsetSpec } from '../policy/types.js';
import { entryInterval, intervalJson, mergeIntervals, uniqueAddresses } from './intervals.js';
import type { NftSet } from './model.js';

/** Why a set type has no nft equivalent here: dfw matches a set only as a list of source addresses. */
const REFUSED_TYPES: Record<string, string> = {
  'hash:mac': 'its members are MAC addresses; dfw matches sets against source IP addresses',
  'hash:ip,mac': 'its members pair an address with a MAC address; dfw matches sets against source IP addresses only',
  'bitmap:ip,mac': 'its members pair an address with a MAC address; dfw matches sets against source IP addresses only',
  'bitmap:port': 'its members are ports, not addresses',
  'hash:net,net': 'its members are pairs of networks, matched with two directions; dfw matches the source address only',
  'hash:ip,port': 'its members pair an address with a port; dfw matches the source address only',
  'hash:net,port': 'its members pair a network with a port; dfw matches the source address only',
  'hash:ip,port,ip': 'its members are address/port/address triples; dfw matches the source address only',
  'hash:ip,port,net': 'its members are address/port/network triples; dfw matches the source address only',
  'hash:net,port,net': 'its members are network/port/network triples; dfw matches the source address only',
  'hash:ip,mark': 'its members pair an address with a packet mark; dfw matches the source address only',
  'hash:net,iface': 'its members pair a network with an interface; dfw matches the source address only',
  'list:set': 'nft has no set of sets: put the members of the listed sets in one hash:ip or hash:net set',
};

/** Create options that only tune ipset's storage: nft sizes its sets itself. */
const STORAGE_OPTIONS = [
  'hashsize',
  'maxelem',
  'bucketsize',
  'initval',
  'counters',
  'comment',
  'skbinfo',
  'forceadd',
  'range',
];

const OPTION_REASONS: Record<string, string> = {
  timeout: 'members that expire are not a policy: dfw replaces the whole set on every apply',
  netmask: 'ipset stores each member masked to this length; write the networks as CIDRs in a hash:net set instead',
  bitmask: 'ipset stores each member masked; write the networks as CIDRs in a hash:net set instead',
  markmask: 'marks are not matched by dfw',
};

/** Set names nft reads without quotes (it takes no quoted set names). */
const NFT_IDENTIFIER = /^[A-Za-z_.][A-Za-z0-9_./-]*$/;

export const setFamily = (s: IpsetSpec): Family => (s.family === 'inet6' ? 6 : 4);

/** `ipv4_addr` / `ipv6_addr`, flags, and the members, merged when the set holds intervals. */
export function nftSet(s: IpsetSpec): NftSet {
  const at = (...rest: (string | number)[]) => ['ipsets', s.name, ...rest];
  const refused = REFUSED_TYPES[s.type];
  if (refused !== undefined)
    throw new PolicyPathError(at('type'), `dfw nft cannot express a ${s.type} set: ${refused}`);
  if (!NFT_IDENTIFIER.test(s.name)) {
    throw new PolicyPathError(
      ['ipsets', s.name],
      'nft takes set names that start with a letter, "_" or "." and hold only letters, digits and _ . / -: rename the set',
    );
  }
  for (const key of Object.keys(s.options)) {
    if (STORAGE_OPTIONS.includes(key)) continue;
    const reason = OPTION_REASONS[key] ?? 'nft sets have no such option';
    throw new PolicyPathError(at('options', key), `dfw nft cannot express option ${key}: ${reason}`);
  }
  const family = setFamily(s);
  const intervals = s.entries.map((e, i) => {
    if (/\s/.test(e.trim())) {
      throw new PolicyPathError(
        at('entries', i),
        'entry options (timeout, comment, nomatch, ...) cannot be written into an nft set: give the address alone',
      );
    }
    const r = entryInterval(e.trim(), family);
    if (typeof r === 'string') throw new PolicyPathError(at('entries', i), r);
    return r;
  });
  // A hash:ip set stores single addresses (ipset expands a CIDR into them); the same set in
  // nft needs the interval flag only when a CIDR or a range is written.
  const interval = s.type !== 'hash:ip' || intervals.some((i) => i.lo !== i.hi);
  const members = interval ? mergeIntervals(intervals) : uniqueAddresses(intervals);
  return {
    name: s.name,
    type: family === 4 ? 'ipv4_addr' : 'ipv6_addr',
    flags: interval ? ['interval'] : [],
    elements: members.map((m) => intervalJson(m, family)),
  };
}
