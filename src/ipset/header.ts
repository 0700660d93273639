// A set's create options ("header"): validation, the values the kernel keeps, the canonical
// order `ipset save` prints them in, and which differences matter when comparing two sets.
import type { IpsetOption } from './ast.js';
import { formatAddress, v4Text } from '../net/address.js';
import { type Family, familyOfInet, inetOf } from '../net/family.js';
import { type Result, fail, ok } from '../result.js';
import { parseBitmask, parsePrefix, parseV4Range } from './inet.js';
import {
  FLAG_CREATE_OPTIONS,
  LEGACY_CREATE_OPTIONS,
  SET_TYPE_INFO,
  type SetTypeName,
  acceptsLegacyOptions,
} from './settypes.js';
import { quoted } from '../text/quote.js';

export interface SetHeader {
  type: SetTypeName;
  /** 4 or 6 (`family inet|inet6`) for the hash types and bitmap:ip(,mac); undefined for bitmap:port, hash:mac, list:set. */
  family: Family | undefined;
  hashsize?: number;
  maxelem?: number;
  netmask?: number;
  /** Canonical bitmask address. */
  bitmask?: string;
  bitmaskBytes?: number[];
  /** Default timeout of the set's entries; present means "with timeout support". */
  timeout?: number;
  counters: boolean;
  comment: boolean;
  forceadd: boolean;
  skbinfo: boolean;
  bucketsize?: number;
  initval?: number;
  /** bitmap types: first and last address (as a number) or port. */
  range?: { from: number; to: number };
  size?: number;
  markmask?: number;
  /** Options that ipset accepts, warns about and ignores (probes, resize, gc). */
  legacy: string[];
}

export const TIMEOUT_MAX = 2147483;
/** The kernel refuses bitmaps of more than 65536 elements (IPSET_BITMAP_MAX_RANGE + 1). */
export const BITMAP_MAX = 65536;
export const DEFAULT_MAXELEM = 65536;
export const LIST_DEFAULT_SIZE = 8;
/** The kernel raises smaller list:set sizes to 4 (observed: `size 3` saves as `size 4`). */
export const LIST_MIN_SIZE = 4;

/** Create options that take an unsigned number, with the largest value ipset accepts. */
const NUMBER_OPTIONS = {
  hashsize: 0xffffffff,
  maxelem: 0xffffffff,
  timeout: TIMEOUT_MAX,
  bucketsize: 255,
  initval: 0xffffffff,
  size: 0xffffffff,
  markmask: 0xffffffff,
} as const;
const isNumberOption = (name: string): name is keyof typeof NUMBER_OPTIONS => Object.hasOwn(NUMBER_OPTIONS, name);

const isFlagOption = (name: string): name is 'counters' | 'comment' | 'forceadd' | 'skbinfo' =>
  FLAG_CREATE_OPTIONS.includes(name);

/**
 * An unsigned number as ipset reads it (strtoul with base 0): decimal or 0x-hex. A leading zero
 * would make it octal (`010` is 8, observed), which dfw refuses instead of guessing what was meant.
 */
export function parseUint(text: string, max: number, what: string): Result<number> {
  let n: number;
  if (/^(0|[1-9][0-9]*)$/.test(text)) n = Number(text);
  else if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text))
    return fail(
      `${what} ${quoted(text)} has a leading zero, which ipset reads as octal: write ${parseInt(text, 8)} if that is what you mean`,
    );
  else return fail(`${what} must be a number (decimal or 0x-hex), found ${quoted(text)}`);
  if (n > max) return fail(`${what} ${text} is out of range (0-${max})`);
  return ok(n);
}

/** 64-bit counters (`packets`, `bytes`): at most 2^64-2 (18446744073709551615 is refused, docs/format.md#entries). */
export function parseCounter(text: string, what: string): Result<bigint> {
  let n: bigint;
  if (/^(0|[1-9][0-9]*)$/.test(text)) n = BigInt(text);
  else if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = BigInt(text);
  else return fail(`${what} must be a number, found ${quoted(text)}`);
  if (n > 2n ** 64n - 2n) return fail(`${what} ${text} is out of range (0-18446744073709551614)`);
  return ok(n);
}

/** A port (0-65535) as ipset reads it, for ranges and elements. */
export function parsePort(text: string): Result<number> {
  return parseUint(text, 65535, 'port');
}

/** `family inet|inet6` (ipset also takes ipv4/ipv6, and -4/-6 which the parser turns into these). */
function parseFamily(value: string): Family | undefined {
  if (value === 'inet' || value === 'ipv4') return familyOfInet('inet');
  if (value === 'inet6' || value === 'ipv6') return familyOfInet('inet6');
  return undefined;
}

type HeaderResult = { ok: true; header: SetHeader } | { ok: false; index: number; reason: string };

const headerError = (index: number, reason: string) => ({ ok: false as const, index, reason });

/** Checks and reads the create options of a set of `type`; errors name the option's index (-1: none). */
export function readHeader(type: SetTypeName, options: readonly IpsetOption[]): HeaderResult {
  const info = SET_TYPE_INFO[type];
  const h: SetHeader = {
    type,
    family: info.family === 'none' ? undefined : 4,
    counters: false,
    comment: false,
    forceadd: false,
    skbinfo: false,
    legacy: [],
  };
  // Family first: netmask, bitmask and range depend on it (ipset parses family first too).
  const family = readFamily(type, options);
  if (!family.ok) return family;
  if (family.family !== undefined) h.family = family.family;

  const seen = new Set<string>();
  for (const [i, o] of options.entries()) {
    if (o.name === 'family') continue;
    const legacy = acceptsLegacyOptions(type) && (LEGACY_CREATE_OPTIONS as readonly string[]).includes(o.name);
    if (!info.create.includes(o.name) && !legacy) {
      return headerError(i, `${o.name} is not an option of ${type} (it takes: ${info.create.join(', ')})`);
    }
    if (seen.has(o.name)) return headerError(i, `${o.name} already specified`);
    seen.add(o.name);
    const r = readOption(h, o.name, o.value ?? '');
    if (!r.ok) return headerError(i, r.reason);
  }
  return checkHeader(h, options);
}

/** The `family` option, if any: only for the types that have one, once. */
function readFamily(
  type: SetTypeName,
  options: readonly IpsetOption[],
): { ok: true; family: Family | undefined } | { ok: false; index: number; reason: string } {
  const info = SET_TYPE_INFO[type];
  let family: Family | undefined;
  for (const [i, o] of options.entries()) {
    if (o.name !== 'family') continue;
    if (info.family !== 'both') {
      const why = info.family === 'ipv4' ? 'it is IPv4 only' : 'it is family neutral';
      return headerError(i, `${type} takes no family option (${why})`);
    }
    if (family !== undefined) return headerError(i, 'family already specified');
    family = parseFamily(o.value ?? '');
    if (family === undefined) return headerError(i, `family must be inet or inet6, found ${quoted(o.value ?? '')}`);
  }
  return { ok: true, family };
}

/** Reads one option's value into the header (family already read). */
function readOption(h: SetHeader, name: string, v: string): Result<void> {
  const set = <T>(r: Result<T>, apply: (x: T) => void): Result<void> => {
    if (!r.ok) return r;
    apply(r.value);
    return ok(undefined);
  };
  const family = h.family ?? 4;
  if (isNumberOption(name)) return set(parseUint(v, NUMBER_OPTIONS[name], name), (n) => (h[name] = n));
  if (isFlagOption(name)) {
    h[name] = true;
    return ok(undefined);
  }
  switch (name) {
    case 'netmask':
      return set(parsePrefix(v, family, 1), (n) => (h.netmask = n));
    case 'bitmask':
      return set(parseBitmask(v, family), (b) => {
        h.bitmaskBytes = b;
        h.bitmask = formatAddress({ family, bytes: b });
      });
    case 'range':
      return set(h.type === 'bitmap:port' ? parsePortRange(v) : parseBitmapRange(v), (r) => (h.range = r));
    default:
      h.legacy.push(name);
      return ok(undefined);
  }
}

/** What ipset checks once all options are read: exclusive options, a bitmap's range and size. */
function checkHeader(h: SetHeader, options: readonly IpsetOption[]): HeaderResult {
  if (h.netmask !== undefined && h.bitmask !== undefined) {
    return headerError(
      options.findIndex((o) => o.name === 'bitmask'),
      'netmask and bitmask cannot be used together',
    );
  }
  if (h.type.startsWith('bitmap:') && h.range === undefined) {
    return headerError(-1, `${h.type} needs a range (ipset: "Mandatory option \`range' is missing")`);
  }
  if (h.range !== undefined && h.type !== 'bitmap:port') {
    const block = h.netmask === undefined ? 1 : 2 ** (32 - h.netmask);
    const n = Math.floor(h.range.to / block) - Math.floor(h.range.from / block) + 1;
    if (n > BITMAP_MAX)
      return headerError(
        options.findIndex((o) => o.name === 'range'),
        `range ${rangeText(h)} holds ${n} elements: a bitmap holds at most ${BITMAP_MAX}`,
      );
  }
  return { ok: true, header: h };
}

function parseBitmapRange(v: string): Result<{ from: number; to: number }> {
  const r = parseV4Range(v, 1);
  if (!r.ok) return fail(`range: ${r.reason}`);
  return ok({ from: r.value.from, to: r.value.to });
}

/** bitmap:port's `range [PROTO:]FROM-TO`; the protocol is only a hint for service names. */
function parsePortRange(v: string): Result<{ from: number; to: number }> {
  const text = v.replace(/^(tcp|udp|sctp|udplite):/i, '');
  const m = /^([^-]+)-([^-]+)$/.exec(text);
  if (!m) return fail(`range must be FROM-TO ports (e.g. 1024-65535), found ${quoted(v)}`);
  const a = parsePort(m[1] ?? '');
  if (!a.ok) return a;
  const b = parsePort(m[2] ?? '');
  if (!b.ok) return b;
  if (a.value > b.value) return fail(`range ${quoted(v)} is reversed`);
  return ok({ from: a.value, to: b.value });
}

export function rangeText(h: SetHeader): string {
  if (h.range === undefined) return '';
  return h.type === 'bitmap:port' ? `${h.range.from}-${h.range.to}` : `${v4Text(h.range.from)}-${v4Text(h.range.to)}`;
}

/** The options of a create line as `ipset save` prints them for this header, in its order. */
export function headerOptions(h: SetHeader): IpsetOption[] {
  const out: IpsetOption[] = [];
  const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  for (const name of SET_TYPE_INFO[h.type].create) {
    switch (name) {
      case 'family':
        if (h.family !== undefined) out.push({ name, value: inetOf(h.family) });
        break;
      case 'hashsize':
      case 'maxelem':
      case 'netmask':
      case 'timeout':
      case 'bucketsize':
      case 'size':
        if (h[name] !== undefined) out.push({ name, value: String(h[name]) });
        break;
      case 'bitmask':
        if (h.bitmask !== undefined) out.push({ name, value: h.bitmask });
        break;
      case 'initval':
        if (h.initval !== undefined) out.push({ name, value: hex8(h.initval) });
        break;
      case 'markmask':
        if (h.markmask !== undefined) out.push({ name, value: hex8(h.markmask) });
        break;
      case 'range':
        if (h.range !== undefined) out.push({ name, value: rangeText(h) });
        break;
      case 'counters':
      case 'comment':
      case 'forceadd':
      case 'skbinfo':
        if (h[name]) out.push({ name });
        break;
    }
  }
  return out;
}

/**
 * Differences between the header a set has and the one wanted, as "option: have → want".
 * Not compared: hashsize and bucketsize (the kernel rounds and grows them: `hashsize 1000` saves
 * as 1024), forceadd (never saved, docs/format.md#create-options), the ignored legacy options, and initval
 * unless the wanted header fixes it (it is random otherwise).
 */
export function headerDifferences(have: SetHeader, want: SetHeader): string[] {
  const out: string[] = [];
  const show = (v: unknown) => (v === undefined || v === false ? '(none)' : v === true ? 'yes' : String(v));
  const cmp = (name: string, a: unknown, b: unknown) => {
    if (a !== b) out.push(`${name}: ${show(a)} → ${show(b)}`);
  };
  cmp('type', have.type, want.type);
  cmp('family', have.family && inetOf(have.family), want.family && inetOf(want.family));
  if (SET_TYPE_INFO[want.type].create.includes('maxelem'))
    cmp('maxelem', have.maxelem ?? DEFAULT_MAXELEM, want.maxelem ?? DEFAULT_MAXELEM);
  cmp('netmask', have.netmask, want.netmask);
  cmp('bitmask', have.bitmask, want.bitmask);
  cmp('timeout', have.timeout, want.timeout);
  cmp('counters', have.counters, want.counters);
  cmp('comment', have.comment, want.comment);
  cmp('skbinfo', have.skbinfo, want.skbinfo);
  if (want.initval !== undefined) cmp('initval', have.initval, want.initval);
  cmp('range', rangeText(have) || undefined, rangeText(want) || undefined);
  if (want.type === 'list:set') {
    const size = (h: SetHeader) => Math.max(LIST_MIN_SIZE, h.size ?? LIST_DEFAULT_SIZE);
    cmp('size', size(have), size(want));
  }
  if (want.type === 'hash:ip,mark') cmp('markmask', have.markmask ?? 0xffffffff, want.markmask ?? 0xffffffff);
  return out;
}
