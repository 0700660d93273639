// A set as a policy describes it (type, family, create options, entries), checked against what
// ipset accepts, with the tables the rest of src/ipset reads dumps with: settypes.ts for types,
// families and options, header.ts for option values and ranges, members.ts for entries. The
// policy loader reports a problem at its YAML node; the reconciler and the bundle take only sets
// that pass (they call resolveSetSpec, which a loaded policy's sets pass by construction).
import { DfwError } from '../errors.js';
import { INET_WORDS, type InetWord } from '../net/family.js';
import { type Path, atPath } from '../text/path.js';
import { quoted } from '../text/quote.js';
import { didYouMean } from '../text/suggest.js';
import type { IpsetOption } from './ast.js';
import { DEFAULT_MAXELEM, type SetHeader, headerOptions, readHeader } from './header.js';
import { type Member, memberKey, normalizeElement, normalizeEntryOptions } from './members.js';
import { parseEntryText } from './parse.js';
import { checkNewSetName } from './set-name.js';
import {
  LEGACY_CREATE_OPTIONS,
  SET_TYPES,
  SET_TYPE_INFO,
  type SetTypeName,
  FLAG_CREATE_OPTIONS,
  POLICY_CREATE_OPTIONS,
} from './settypes.js';

/** A set as a policy gives it: `family` in ipset's words, options as YAML or JSON values. */
export interface SetSpec {
  name: string;
  type: string;
  family: InetWord;
  /** Create options other than family: `{ hashsize: 1024, timeout: 0, comment: true }`. */
  options: Readonly<Record<string, string | number | boolean>>;
  /** Entries as `ipset add` takes them after the set name: `192.0.2.1`, `10.0.0.1 comment "x"`. */
  entries: readonly string[];
}

/** A set as ipset would store it. */
export interface ValidSet {
  name: string;
  header: SetHeader;
  /** The create options to write, canonical and in `ipset save` order. */
  options: IpsetOption[];
  /** Members in the order of the entries (each element once). */
  members: Member[];
}

/**
 * What is wrong with a set: `path` is relative to the set (`['options', 'bucketsize']`,
 * `['entries', 3]`, `[]` for the set itself); `key` says the problem is the key at the end of
 * the path (an unknown option), not its value.
 */
export interface SpecProblem {
  path: Path;
  reason: string;
  key?: boolean;
}

type Checked<T> = { ok: true; value: T } | { ok: false; problem: SpecProblem };
export type SpecResult = Checked<ValidSet>;

const problem = (path: Path, reason: string, key = false): { ok: false; problem: SpecProblem } => ({
  ok: false,
  problem: key ? { path, reason, key } : { path, reason },
});

/**
 * Checks a set as ipset would on `create` and `add`, and computes its members. The result for a
 * frozen set (a loaded policy's) is kept, so that the reconciler does not compute it again.
 */
export function checkSetSpec(spec: SetSpec): SpecResult {
  const hit = checked.get(spec);
  if (hit !== undefined) return { ok: true, value: hit };
  const r = uncachedCheck(spec);
  if (r.ok && Object.isFrozen(spec) && Object.isFrozen(spec.options) && Object.isFrozen(spec.entries))
    checked.set(spec, r.value);
  return r;
}

// Sets of a loaded policy are frozen (src/policy/load.ts): checked once, their result reused.
// Keyed weakly: the cache holds no set longer than its policy lives.
const checked = new WeakMap<SetSpec, ValidSet>();

function uncachedCheck(spec: SetSpec): SpecResult {
  const badName = checkNewSetName(spec.name);
  if (badName !== undefined) return problem([], badName, true);
  const type = SET_TYPES.find((t) => t === spec.type);
  if (type === undefined) return problem(['type'], unknownType(spec.type));
  if (!INET_WORDS.includes(spec.family))
    return problem(['family'], `expected "inet" or "inet6", found ${shown(spec.family)}`);
  if (SET_TYPE_INFO[type].family === 'ipv4' && spec.family !== 'inet')
    return problem(['family'], `${type} sets are IPv4 only`);

  const header = specHeader(spec, type);
  if (!header.ok) return header;
  const members = specMembers(spec, header.value);
  if (!members.ok) return members;
  const fits = checkFits(spec, header.value, members.value.length);
  if (fits !== undefined) return fits;
  return {
    ok: true,
    value: { name: spec.name, header: header.value, options: headerOptions(header.value), members: members.value },
  };
}

function unknownType(type: string): string {
  const alias = SET_TYPES.find((t) => SET_TYPE_INFO[t].alias === type);
  const hint = alias !== undefined ? ` (the old name of ${alias}: write ${alias})` : didYouMean(type, SET_TYPES);
  return `unknown ipset type ${quoted(type)}${hint}; expected one of: ${SET_TYPES.join(', ')}`;
}

const shown = (v: unknown): string => (typeof v === 'string' ? quoted(v) : String(v));

/** The header the spec's options make, read by readHeader as ipset would read `create`. */
function specHeader(spec: SetSpec, type: SetTypeName): Checked<SetHeader> {
  const info = SET_TYPE_INFO[type];
  const options: IpsetOption[] = info.family === 'both' ? [{ name: 'family', value: spec.family }] : [];
  const names: (string | undefined)[] = options.map(() => undefined);
  for (const [name, value] of Object.entries(spec.options)) {
    const path = ['options', name];
    const bad = optionProblem(type, name, value);
    if (bad !== undefined) return problem(path, bad.reason, bad.key);
    if (value === false) continue;
    options.push(value === true ? { name } : { name, value: String(value) });
    names.push(name);
  }
  const h = readHeader(type, options);
  if (!h.ok) {
    const name = names[h.index];
    return problem(name === undefined ? ['options'] : ['options', name], h.reason);
  }
  if (h.header.maxelem === 0) return problem(['options', 'maxelem'], 'maxelem 0: the set could never hold a member');
  return { ok: true, value: h.header };
}

/** The problem with one create option as the policy gives it, before ipset reads its value. */
function optionProblem(type: SetTypeName, name: string, value: unknown): { reason: string; key: boolean } | undefined {
  const info = SET_TYPE_INFO[type];
  if (name === 'family') return { reason: 'family is a key of the set itself, next to type', key: true };
  if ((LEGACY_CREATE_OPTIONS as readonly string[]).includes(name))
    return { reason: `${name} is ignored by ipset: remove it`, key: true };
  if (!POLICY_CREATE_OPTIONS.includes(name)) {
    const hint = didYouMean(name, POLICY_CREATE_OPTIONS);
    return {
      reason: `unknown ipset create option${hint}; expected one of: ${POLICY_CREATE_OPTIONS.join(', ')}`,
      key: true,
    };
  }
  if (!info.create.includes(name)) {
    const takes = info.create.filter((o) => o !== 'family');
    return { reason: `${name} is not an option of ${type} (it takes: ${takes.join(', ')})`, key: true };
  }
  if (FLAG_CREATE_OPTIONS.includes(name)) {
    if (typeof value === 'boolean') return undefined;
    const word = typeof value === 'string' ? value.toLowerCase() : '';
    const hint = ['yes', 'on', 'y', 'no', 'off', 'n'].includes(word)
      ? ' (YAML 1.2 reads yes/no/on/off as strings)'
      : '';
    return { reason: `expected true or false, found ${shown(value)}${hint}`, key: false };
  }
  if (typeof value === 'boolean') return { reason: `expected a value, found ${value}`, key: false };
  return undefined;
}

/** The members the entries make, as ipset stores them; an element given twice must agree. */
function specMembers(spec: SetSpec, header: SetHeader): Checked<Member[]> {
  const members = new Map<string, Member>();
  const origin = new Map<string, number>();
  for (const [i, text] of spec.entries.entries()) {
    const path = ['entries', i];
    const e = parseEntryText(text);
    if (!e.ok) return problem(path, e.reason);
    if (e.options.some((o) => o.name === 'before' || o.name === 'after'))
      return problem(path, 'before/after are not needed: the order of the entries is the order of the list');
    const o = normalizeEntryOptions(header, 'add', e.options);
    if (!o.ok) return problem(path, o.reason);
    const el = normalizeElement(header, e.entry);
    if (!el.ok) return problem(path, el.reason);
    for (const element of el.value) {
      const m: Member = { element, options: o.options };
      const prev = members.get(element);
      if (prev === undefined) {
        members.set(element, m);
        origin.set(element, i);
      } else if (memberKey(prev) !== memberKey(m)) {
        return problem(path, `it gives ${element} other options than entries[${origin.get(element)}] does`);
      }
    }
  }
  return { ok: true, value: [...members.values()] };
}

/** More members than maxelem: `ipset restore` would stop at the first one over ("Hash is full"). */
function checkFits(spec: SetSpec, header: SetHeader, count: number): ReturnType<typeof problem> | undefined {
  if (!SET_TYPE_INFO[header.type].create.includes('maxelem')) return undefined;
  const max = header.maxelem ?? DEFAULT_MAXELEM;
  if (count <= max) return undefined;
  const given = Object.hasOwn(spec.options, 'maxelem');
  return problem(
    given ? ['options', 'maxelem'] : ['entries'],
    `the entries make ${count} members, more than maxelem ${max}: ipset restore would stop with "Hash is full"${given ? '' : ' (raise options.maxelem)'}`,
  );
}

/**
 * The set as ipset would store it; throws a DfwError `ipsets.NAME.PATH: reason` for a set that
 * did not come from loadPolicy and that ipset would refuse.
 */
export function resolveSetSpec(spec: SetSpec): ValidSet {
  const r = checkSetSpec(spec);
  if (!r.ok) throw new DfwError(atPath(['ipsets', spec.name, ...r.problem.path], r.problem.reason));
  return r.value;
}
