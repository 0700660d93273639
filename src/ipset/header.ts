// A set's create options ("header"): validation, the values the kernel keeps, the canonical
// order `ipset save` prints them in, and which differences matter when comparing two sets.
import type { IpsetOption } from './ast.js';
import {
  type Family,
  type Result,
  fail,
  ok,
  parseBitmask,
  parsePrefix,
  parseV4Range,
  formatAddress,
  v4Text,
} from './inet.js';
import { SET_TYPE_INFO, type SetTypeName, acceptsLegacyOptions } from './settypes.js';

export interface SetHeader {
  type: SetTypeName;
  /** inet or inet6 for the hash types and bitmap:ip(,mac); undefined for bitmap:port, hash:mac, list:set. */
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

/** Create options that only switch a feature on. */
const FLAG_OPTIONS = ['counters', 'comment', 'forceadd', 'skbinfo'] as const;
const isFlagOption = (name: string): name is (typeof FLAG_OPTIONS)[number] =>
  (FLAG_OPTIONS as readonly string[]).includes(name);

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
      `${what} "${text}" has a leading zero, which ipset reads as octal: write ${parseInt(text, 8)} if that is what you mean`,
    );
  else return fail(`${what} must be a number (decimal or 0x-hex), found "${text}"`);
  if (n > max) return fail(`${what} ${text} is out of range (0-${max})`);
  return ok(n);
}

/** 64-bit counters (`packets`, `bytes`): at most 2^64-2 (18446744073709551615 is refused, docs/format.md#entries). */
export function parseCounter(text: string, what: string): Result<bigint> {
  let n: bigint;
  if (/^(0|[1-9][0-9]*)$/.test(text)) n = BigInt(text);
  else if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = BigInt(text);
  else return fail(`${what} must be a number, found "${text}"`);
  if (n > 2n ** 64n - 2n) return fail(`${what} ${text} is out of range (0-18446744073709551614)`);
  return ok(n);
}

/** A port (0-65535) as ipset reads it, for ranges and elements. */
export function parsePort(text: string): Result<number> {
  return parseUint(text, 65535, 'port');
}

function parseFamily(value: string): Family | undefined {
  if (value === 'inet' || value === 'ipv4') return 'inet';
  if (value === 'inet6' || value === 'ipv6') return 'inet6';
  return undefined;
}

/** Checks and reads the create options of a set of `type`; errors name the option's index. */
export function readHeader(
  type: SetTypeName,
  options: readonly IpsetOption[],
): { ok: true; header: SetHeader } | { ok: false; index: number; reason: string } {
  const info = SET_TYPE_INFO[type];
  const h: SetHeader = {
    type,
    family: info.family === 'none' ? undefined : 'inet',
    counters: false,
    comment: false,
    forceadd: false,
    skbinfo: false,
    legacy: [],
  };
  const seen = new Set<string>();
  const err = (index: number, reason: string) => ({ ok: false as const, index, reason });

  // Family first: netmask, bitmask and range depend on it (ipset parses family first too).
  for (const [i, o] of options.entries()) {
    if (o.name !== 'family') continue;
    if (info.family !== 'inet46')
      return err(
        i,
        `${type} takes no family option (${info.family === 'inet' ? 'it is IPv4 only' : 'it is family neutral'})`,
      );
    if (seen.has('family')) return err(i, 'family already specified');
    seen.add('family');
    const f = parseFamily(o.value ?? '');
    if (f === undefined) return err(i, `family must be inet or inet6, found "${o.value ?? ''}"`);
    h.family = f;
  }

  for (const [i, o] of options.entries()) {
    if (o.name === 'family') continue;
    const legacy = acceptsLegacyOptions(type) && ['probes', 'resize', 'gc'].includes(o.name);
    if (!info.create.includes(o.name) && !legacy) {
      return err(i, `${o.name} is not an option of ${type} (it takes: ${info.create.join(', ')})`);
    }
    if (seen.has(o.name)) return err(i, `${o.name} already specified`);
    seen.add(o.name);
    const v = o.value ?? '';
    const set = <T>(r: Result<T>, apply: (x: T) => void) => {
      if (!r.ok) return err(i, r.reason);
      apply(r.value);
      return undefined;
    };
    let e: ReturnType<typeof err> | undefined;
    if (isNumberOption(o.name)) {
      const name = o.name;
      e = set(parseUint(v, NUMBER_OPTIONS[name], name), (n) => (h[name] = n));
    } else if (isFlagOption(o.name)) {
      h[o.name] = true;
    } else if (o.name === 'netmask') {
      e = set(parsePrefix(v, h.family ?? 'inet', 1), (n) => (h.netmask = n));
    } else if (o.name === 'bitmask') {
      e = set(parseBitmask(v, h.family ?? 'inet'), (b) => {
        h.bitmaskBytes = b;
        h.bitmask = formatAddress({ family: h.family ?? 'inet', bytes: b });
      });
    } else if (o.name === 'range') {
      e =
        type === 'bitmap:port'
          ? set(parsePortRange(v), (r) => (h.range = r))
          : set(parseBitmapRange(v), (r) => (h.range = r));
    } else {
      h.legacy.push(o.name);
    }
    if (e) return e;
  }
  if (h.netmask !== undefined && h.bitmask !== undefined) {
    return err(
      options.findIndex((o) => o.name === 'bitmask'),
      'netmask and bitmask cannot be used together',
    );
  }
  if (type.startsWith('bitmap:') && h.range === undefined) {
    return err(-1, `${type} needs a range (ipset: "Mandatory option \`range' is missing")`);
  }
  if (h.range !== undefined && type !== 'bitmap:port') {
    const block = h.netmask === undefined ? 1 : 2 ** (32 - h.netmask);
    const n = Math.floor(h.range.to / block) - Math.floor(h.range.from / block) + 1;
    if (n > BITMAP_MAX)
      return err(
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
  if (!m) return fail(`range must be FROM-TO ports (e.g. 1024-65535), found "${v}"`);
  const a = parsePort(m[1] ?? '');
  if (!a.ok) return a;
  const b = parsePort(m[2] ?? '');
  if (!b.ok) return b;
  if (a.value > b.value) return fail(`range "${v}" is reversed`);
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
        if (h.family !== undefined) out.push({ name, value: h.family });
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
  cmp('family', have.family, want.family);
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
