// The ipset set types: names, aliases, families and the options each command takes, in the order
// `ipset save` prints them (docs/format.md#create-options, docs/format.md#entries; `ipset help TYPE` of ipset 7.17).

export const SET_TYPES = [
  'bitmap:ip',
  'bitmap:ip,mac',
  'bitmap:port',
  'hash:ip',
  'hash:ip,mac',
  'hash:ip,mark',
  'hash:ip,port',
  'hash:ip,port,ip',
  'hash:ip,port,net',
  'hash:mac',
  'hash:net',
  'hash:net,iface',
  'hash:net,net',
  'hash:net,port',
  'hash:net,port,net',
  'list:set',
] as const;

export type SetTypeName = (typeof SET_TYPES)[number];

/** `both`: a `family inet|inet6` option, printed by save; `ipv4`: IPv4 only, never printed; `none`: no addresses. */
export type FamilyKind = 'both' | 'ipv4' | 'none';

export interface SetTypeInfo {
  name: SetTypeName;
  /** Old names that `create` still accepts (ipset_match_typename; case-sensitive). */
  alias: string;
  family: FamilyKind;
  /** Create options in the order `ipset save` prints them; `forceadd` is never printed (docs/format.md#create-options). */
  create: readonly string[];
  /** Options of `add` after the element, in printed order. */
  add: readonly string[];
  del: readonly string[];
  test: readonly string[];
  /** Whether the kernel dfw was checked against has the type (docs/format.md#where-these-facts-come-from). */
  kernelHere: boolean;
}

const EXT = ['timeout', 'counters', 'comment', 'forceadd', 'skbinfo'];
const HASH_TAIL = ['bucketsize', 'initval'];
/** Legacy create options that ipset accepts on hash types, warns about and ignores (docs/format.md#create-options). */
export const LEGACY_CREATE_OPTIONS = ['probes', 'resize', 'gc'] as const;

const HASH_BASE = ['family', 'hashsize', 'maxelem', ...EXT, ...HASH_TAIL];
const ADD_EXT = ['timeout', 'packets', 'bytes', 'comment', 'skbmark', 'skbprio', 'skbqueue'];
const ADD_NET = ['timeout', 'nomatch', 'packets', 'bytes', 'comment', 'skbmark', 'skbprio', 'skbqueue'];

function t(
  name: SetTypeName,
  alias: string,
  family: FamilyKind,
  create: string[],
  add: string[],
  kernelHere = true,
): SetTypeInfo {
  const nets = add.includes('nomatch');
  const list = name === 'list:set';
  return {
    name,
    alias,
    family,
    create,
    add: list ? ['before', 'after', ...add] : add,
    del: list ? ['before', 'after'] : [],
    test: list ? ['before', 'after'] : nets ? ['nomatch'] : [],
    kernelHere,
  };
}

export const SET_TYPE_INFO: Readonly<Record<SetTypeName, SetTypeInfo>> = {
  'bitmap:ip': t(
    'bitmap:ip',
    'ipmap',
    'ipv4',
    ['range', 'netmask', 'timeout', 'counters', 'comment', 'skbinfo'],
    ADD_EXT,
  ),
  'bitmap:ip,mac': t(
    'bitmap:ip,mac',
    'macipmap',
    'ipv4',
    ['range', 'timeout', 'counters', 'comment', 'skbinfo'],
    ADD_EXT,
  ),
  'bitmap:port': t('bitmap:port', 'portmap', 'none', ['range', 'timeout', 'counters', 'comment', 'skbinfo'], ADD_EXT),
  // hash:ip prints netmask/bitmask right after maxelem (docs/format.md#create-options).
  'hash:ip': t(
    'hash:ip',
    'iphash',
    'both',
    ['family', 'hashsize', 'maxelem', 'netmask', 'bitmask', ...EXT, ...HASH_TAIL],
    ADD_EXT,
  ),
  'hash:ip,mac': t('hash:ip,mac', 'ipmachash', 'both', HASH_BASE, ADD_EXT, false),
  'hash:ip,mark': t(
    'hash:ip,mark',
    'ipmarkhash',
    'both',
    ['family', 'markmask', 'hashsize', 'maxelem', ...EXT, ...HASH_TAIL],
    ADD_EXT,
    false,
  ),
  // hash:ip,port revision 7 prints netmask/bitmask after initval (docs/format.md#create-options).
  'hash:ip,port': t('hash:ip,port', 'ipporthash', 'both', [...HASH_BASE, 'netmask', 'bitmask'], ADD_EXT),
  'hash:ip,port,ip': t('hash:ip,port,ip', 'ipportiphash', 'both', HASH_BASE, ADD_EXT),
  'hash:ip,port,net': t('hash:ip,port,net', 'ipportnethash', 'both', HASH_BASE, ADD_NET),
  'hash:mac': t('hash:mac', 'machash', 'none', ['hashsize', 'maxelem', ...EXT, ...HASH_TAIL], ADD_EXT, false),
  'hash:net': t('hash:net', 'nethash', 'both', HASH_BASE, ADD_NET),
  'hash:net,iface': t('hash:net,iface', 'netifacehash', 'both', HASH_BASE, [
    'timeout',
    'nomatch',
    'wildcard',
    'packets',
    'bytes',
    'comment',
    'skbmark',
    'skbprio',
    'skbqueue',
  ]),
  'hash:net,net': t('hash:net,net', 'netnethash', 'both', [...HASH_BASE, 'bitmask', 'netmask'], ADD_NET, false),
  'hash:net,port': t('hash:net,port', 'netporthash', 'both', HASH_BASE, ADD_NET),
  'hash:net,port,net': t('hash:net,port,net', 'netportnethash', 'both', HASH_BASE, ADD_NET, false),
  'list:set': t('list:set', 'setlist', 'none', ['size', ...EXT.filter((o) => o !== 'forceadd')], ADD_EXT),
};

const TYPE_BY_NAME = new Map<string, SetTypeName>(
  SET_TYPES.flatMap((t) => [[t, t] as const, [SET_TYPE_INFO[t].alias, t] as const]),
);

/** The canonical type for a name or alias as `create` takes it, or undefined. */
export function setTypeOf(word: string): SetTypeName | undefined {
  return TYPE_BY_NAME.get(word);
}

/** Create options that only switch a feature on. */
export const FLAG_CREATE_OPTIONS: readonly string[] = ['counters', 'comment', 'forceadd', 'skbinfo'];

/** The create options a policy may give (family is a key of its own; the legacy ones are ignored by ipset). */
export const POLICY_CREATE_OPTIONS: readonly string[] = [
  ...new Set(SET_TYPES.flatMap((t) => SET_TYPE_INFO[t].create).filter((o) => o !== 'family')),
];

/** Create options that take a value (the others are flags). */
export const CREATE_VALUE_OPTIONS = new Set([
  'family',
  'hashsize',
  'maxelem',
  'netmask',
  'bitmask',
  'timeout',
  'bucketsize',
  'initval',
  'range',
  'size',
  'markmask',
  'probes',
  'resize',
  'gc',
]);
/** Add/del/test options that take a value. */
export const ENTRY_VALUE_OPTIONS = new Set([
  'timeout',
  'packets',
  'bytes',
  'comment',
  'skbmark',
  'skbprio',
  'skbqueue',
  'before',
  'after',
]);

/** Types whose create takes legacy `probes`/`resize`/`gc` (hash types only; bitmap:ip refuses `probes`). */
export function acceptsLegacyOptions(type: SetTypeName): boolean {
  return type.startsWith('hash:');
}

/**
 * The commands ipset restore reads, with their aliases (docs/format.md#commands-and-aliases; lib/ipset.c
 * ipset_commands, in table order).
 */
const COMMAND_TABLE: readonly (readonly [string, readonly string[]])[] = [
  ['create', ['create', 'new', '-N']],
  ['add', ['add', '-A']],
  ['del', ['del', '-D']],
  ['test', ['test', '-T']],
  ['destroy', ['destroy', 'x', '-X']],
  ['list', ['list', '-L']],
  ['save', ['save', '-S']],
  ['restore', ['restore', '-R']],
  ['flush', ['flush', '-F']],
  ['rename', ['rename', 'e', '-E']],
  ['swap', ['swap', 'w', '-W']],
  ['help', ['help', '-h', '-H']],
  ['version', ['version', '-v', '-V']],
  ['quit', ['quit']],
];

/**
 * The command a word names, as ipset_match_cmd() decides: two leading dashes are ignored, and the
 * word may be any prefix of a name or alias; the first command in table order wins (`d` is del,
 * `des` destroy, `s` save, `sw` swap).
 */
export function commandOf(word: string): string | undefined {
  // Most words are addresses or names: no command starts with a digit.
  const c = word.charCodeAt(0);
  if (c >= 48 && c <= 57) return undefined;
  const skip = word.startsWith('--') ? 2 : 0;
  if (word.length <= skip || word === '-') return undefined;
  const w = word.slice(skip);
  for (const [cmd, names] of COMMAND_TABLE) {
    if (names.some((n) => n.startsWith(w))) return cmd;
  }
  return undefined;
}

/**
 * Options that ipset takes anywhere on a line before looking at the command (ipset_envopts;
 * docs/format.md#commands-and-aliases).
 */
export function isExistOption(word: string): boolean {
  const w = word.startsWith('--') ? word.slice(1) : word;
  return w === '-exist' || w === '-!';
}

/** The other no-argument environment options, which dfw does not accept in files it reads. */
export function isOtherEnvOption(word: string): boolean {
  const w = word.startsWith('--') ? word.slice(1) : word;
  return [
    '-s',
    '-sorted',
    '-q',
    '-quiet',
    '-r',
    '-resolve',
    '-n',
    '-name',
    '-t',
    '-terse',
    '-o',
    '-output',
    '-f',
    '-file',
  ].includes(w);
}
