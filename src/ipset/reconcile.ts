// Brings the sets of an `ipset save` dump to the ones a policy describes, as an `ipset restore`
// file, in one of three ways (docs/design.md#ipset-restore-files):
//   - swap (default): fill a temporary set, `swap` it with the live one, destroy the temporary
//     one. Atomic for the rules that use the set: they follow the name (docs/format.md#replacing-a-set-atomically).
//   - flush: `create -exist`, `flush`, `add` (the classic recipe; the set is empty for a moment).
//   - incremental: `del -exist` / `add -exist` for the differences only.
// Sets the policy does not name are never touched; a set that already matches gets no lines.
// Members are compared as ipset stores them (src/ipset/members.ts).
import { unifiedDiff } from '../diff.js';
import { DfwError } from '../errors.js';
import { type IpsetDump, type IpsetLine, type IpsetOption, createLine, entryLine, pairLine, setsLine } from './ast.js';
import {
  DEFAULT_MAXELEM,
  LIST_DEFAULT_SIZE,
  LIST_MIN_SIZE,
  type SetHeader,
  headerDifferences,
  headerOptions,
} from './header.js';
import { type Member, compareElements, memberKey, optionText } from './members.js';
import { printLine } from './print.js';
import { type SetSpec, type ValidSet, resolveSetSpec } from './set-spec.js';
import { tempSetName } from './set-name.js';
import type { SetTypeName } from './settypes.js';
import { inetOf } from '../net/family.js';
import { type SetState, dumpState } from './state.js';
import { quoted } from '../text/quote.js';

export type ReconcileMode = 'swap' | 'flush' | 'incremental';
export const RECONCILE_MODES: readonly ReconcileMode[] = ['swap', 'flush', 'incremental'];

export interface IpsetChange {
  set: string;
  type: SetTypeName;
  /** create: the set does not exist; replace: rebuilt (swap or flush); update: incremental; unchanged. */
  action: 'create' | 'replace' | 'update' | 'unchanged';
  /** Members added and removed, as `ELEMENT [options]` (a changed member is in both lists). */
  added: string[];
  removed: string[];
  /** Header differences, `option: have → want`. */
  header: string[];
  /** The temporary set swap mode fills. */
  temp?: string;
}

export interface ReconcileResult {
  mode: ReconcileMode;
  /** The restore file; empty when nothing changes. */
  text: string;
  lines: IpsetLine[];
  changes: IpsetChange[];
  /** Things to tell the user (none since a header change outside swap mode is an error). */
  warnings: string[];
  /** Whether the restore file does anything. */
  changed: boolean;
  /** Unified diff (3 lines of context) of the policy's sets, current → wanted; '' when equal. */
  diff: string;
}

type Wanted = ValidSet;

const EXTENSIONS: readonly (readonly [string, (h: SetHeader) => boolean, string[]])[] = [
  ['timeout', (h) => h.timeout !== undefined, ['timeout']],
  ['counters', (h) => h.counters, ['packets', 'bytes']],
  ['comment', (h) => h.comment, ['comment']],
  ['skbinfo', (h) => h.skbinfo, ['skbmark', 'skbprio', 'skbqueue']],
];

function sorted(h: SetHeader, members: Iterable<Member>): Member[] {
  const list = [...members];
  return h.type === 'list:set' ? list : list.sort((a, b) => compareElements(a.element, b.element));
}

/** The header as the diff shows it: what dfw compares, in ipset save's order. */
function shownHeader(h: SetHeader, showInitval: boolean): string {
  const opts = headerOptions({
    ...h,
    hashsize: undefined,
    bucketsize: undefined,
    initval: showInitval ? h.initval : undefined,
    maxelem: h.maxelem === DEFAULT_MAXELEM ? undefined : h.maxelem,
    size: h.type === 'list:set' ? Math.max(LIST_MIN_SIZE, h.size ?? LIST_DEFAULT_SIZE) : undefined,
    forceadd: false,
  });
  return opts.map(optionText).join(' ');
}

function snapshot(name: string, h: SetHeader, members: Iterable<Member>, showInitval: boolean): string {
  const head = [`create ${name} ${h.type}`, shownHeader(h, showInitval)].filter((s) => s !== '').join(' ');
  return [head, ...sorted(h, members).map((m) => `add ${name} ${memberKey(m)}`)].map((l) => `${l}\n`).join('');
}

function incompatible(name: string, have: SetHeader, want: SetHeader): DfwError {
  const show = (h: SetHeader) => `${h.type}${h.family === undefined ? '' : ` family ${inetOf(h.family)}`}`;
  return new DfwError(
    `set ${name} is ${show(have)} on the host, but the policy wants ${show(want)}: ipset cannot swap sets whose type or family differ, ` +
      `and "create -exist" would keep the old set. Either remove the iptables rules that use ${name}, run "ipset destroy ${name}" ` +
      `and run dfw again (it will create the set), or give the set a new name in the policy (e.g. ${name}-v2), point the rules at it, ` +
      `and destroy ${name} once nothing uses it.`,
  );
}

/** Header differences that flush and incremental modes cannot live with (the adds would fail or differ). */
function blockingDifference(name: string, have: SetHeader, want: Wanted): string | undefined {
  for (const k of ['netmask', 'bitmask', 'range', 'markmask'] as const) {
    if (JSON.stringify(have[k]) !== JSON.stringify(want.header[k])) {
      return `set ${name} has another ${k} on the host than the policy wants, so its members would be stored differently: only --mode swap can rebuild it`;
    }
  }
  for (const [ext, has, opts] of EXTENSIONS) {
    if (!has(have) && want.members.some((m) => m.options.some((o) => opts.includes(o.name)))) {
      return `set ${name} was created without ${ext} support, which the policy's entries use: only --mode swap can rebuild it with ${ext}`;
    }
  }
  return undefined;
}

/**
 * The policy's sets as ipset would store them: validated, with members normalised and expanded
 * (list:set members must be sets that exist in the policy or in `have`).
 */
function resolveSets(desired: readonly SetSpec[], have: Map<string, SetState>): Wanted[] {
  const seen = new Set<string>();
  const wanted = desired.map((spec) => {
    if (seen.has(spec.name)) throw new DfwError(`ipsets: set ${spec.name} is named twice`);
    seen.add(spec.name);
    return resolveSetSpec(spec);
  });
  const typeAfter = (n: string): SetTypeName | undefined =>
    wanted.find((w) => w.name === n)?.header.type ?? have.get(n)?.header.type;
  for (const w of wanted) {
    if (w.header.type !== 'list:set') continue;
    for (const m of w.members) {
      const t = typeAfter(m.element);
      if (t === undefined)
        throw new DfwError(
          `ipsets.${w.name}: member set ${m.element} is neither in the policy nor in the current sets`,
        );
      if (t === 'list:set')
        throw new DfwError(
          `ipsets.${w.name}: member set ${m.element} is a list:set, and a list:set cannot hold another`,
        );
    }
  }
  return wanted;
}

/** The sets of `current` (none without a dump), with members for the policy's sets only: the others are compared by name and header. */
function currentSets(current: IpsetDump | undefined, desired: readonly SetSpec[]): Map<string, SetState> {
  return current === undefined ? new Map() : dumpState(current, { membersOf: new Set(desired.map((d) => d.name)) });
}

/** A policy set as ipset would store it. */
export interface ResolvedSet {
  name: string;
  header: SetHeader;
  /** Members as `ELEMENT [options]`, in the order they are added (the list order for list:set). */
  members: string[];
}

/** The policy's sets as ipset would store them, given the current sets (for list:set members). */
export function resolveIpsets(desired: readonly SetSpec[], current?: IpsetDump): ResolvedSet[] {
  return resolveSets(desired, currentSets(current, desired)).map((w) => ({
    name: w.name,
    header: w.header,
    members: w.members.map(memberKey),
  }));
}

/**
 * The restore file that brings the sets of `current` (an `ipset save` dump; undefined: no sets
 * exist) to `desired`, with the list of changes and a unified diff of members.
 *
 *   const { text, changed } = reconcileIpsets(parseIpset(saved, 'save'), policy.ipsets, 'swap');
 */
export function reconcileIpsets(
  current: IpsetDump | undefined,
  desired: readonly SetSpec[],
  mode: ReconcileMode = 'swap',
): ReconcileResult {
  if (!RECONCILE_MODES.includes(mode)) throw new DfwError(`unknown mode ${quoted(mode)} (swap, flush or incremental)`);
  const have = currentSets(current, desired);
  const wanted = resolveSets(desired, have);

  // Member sets before the lists that name them (docs/format.md#writing-for-ipset-restore).
  const order = [
    ...wanted.filter((w) => w.header.type !== 'list:set'),
    ...wanted.filter((w) => w.header.type === 'list:set'),
  ];
  const taken = new Set([...have.keys(), ...wanted.map((w) => w.name)]);
  const lines: IpsetLine[] = [];
  const changes: IpsetChange[] = [];
  const warnings: string[] = [];
  for (const w of order) {
    const cur = have.get(w.name);
    const plan = cur === undefined ? createSet(w, mode) : updateSet(w, cur, mode, taken);
    lines.push(...plan.lines);
    changes.push(plan.change);
    if (plan.warning !== undefined) warnings.push(plan.warning);
  }

  // Every `create -exist` first: a set that exists with another header (a host the dump does not
  // show) stops the restore there, before any set was flushed or filled.
  if (mode !== 'swap') lines.sort((a, b) => Number(b.kind === 'create') - Number(a.kind === 'create'));
  const text = lines.map((l) => `${printLine(l)}\n`).join('');
  const before = order.map((w) => {
    const cur = have.get(w.name);
    return cur === undefined ? '' : snapshot(w.name, cur.header, cur.members.values(), w.header.initval !== undefined);
  });
  const after = order.map((w) => snapshot(w.name, w.header, w.members, w.header.initval !== undefined));
  const diff = unifiedDiff(before.join(''), after.join(''), 'ipset (current)', 'ipset (policy)');
  return { mode, text, lines, changes, warnings, changed: lines.length > 0, diff };
}

/** What one set needs: its lines, the change, and what the mode cannot do. */
interface SetPlan {
  lines: IpsetLine[];
  change: IpsetChange;
  warning?: string;
}

/**
 * The `add` lines of `members`. In a bitmap set (without netmask) consecutive members with the
 * same options are one range, which ipset expands itself: a `1024-65535` entry of a bitmap:port
 * set is one line, not 64,512.
 */
function adds(set: string, exist: boolean, members: readonly Member[], h: SetHeader): IpsetLine[] {
  const value = bitmapValue(h);
  if (value === undefined) return members.map((m) => entryLine('add', set, m.element, m.options, exist));
  const keyed = members.map((m) => ({ m, v: value.of(m.element), opts: m.options.map(optionText).join(' ') }));
  keyed.sort((a, b) => a.v - b.v);
  const out: IpsetLine[] = [];
  for (let i = 0; i < keyed.length;) {
    let j = i;
    while (j + 1 < keyed.length && keyed[j + 1]!.v === keyed[j]!.v + 1 && keyed[j + 1]!.opts === keyed[i]!.opts) j++;
    const { m } = keyed[i]!;
    const element = j === i ? m.element : `${m.element}-${keyed[j]!.m.element}`;
    out.push(entryLine('add', set, element, m.options, exist));
    i = j + 1;
  }
  return out;
}

/** A bitmap set's members as numbers (ports, IPv4 addresses), when they can be written as ranges. */
function bitmapValue(h: SetHeader): { of: (element: string) => number } | undefined {
  if (h.type === 'bitmap:port') return { of: Number };
  if (h.type === 'bitmap:ip' && h.netmask === undefined)
    return { of: (e) => e.split('.').reduce((n, octet) => n * 256 + Number(octet), 0) };
  return undefined;
}

/** `create -exist`, `flush` and the adds: the classic recipe of flush mode. */
const flushed = (w: Wanted): IpsetLine[] => [
  createLine(w.name, w.header.type, w.options, true),
  setsLine('flush', w.name),
  ...adds(w.name, false, w.members, w.header),
];

/** A set the host does not have yet. */
function createSet(w: Wanted, mode: ReconcileMode): SetPlan {
  const type = w.header.type;
  const lines =
    mode === 'swap'
      ? [createLine(w.name, type, w.options), ...adds(w.name, false, w.members, w.header)]
      : mode === 'flush'
        ? flushed(w)
        : [createLine(w.name, type, w.options, true), ...adds(w.name, true, w.members, w.header)];
  return {
    lines,
    change: { set: w.name, type, action: 'create', added: w.members.map(memberKey), removed: [], header: [] },
  };
}

/** A set the host has: nothing when it matches, else rebuilt (swap, flush) or updated (incremental). */
function updateSet(w: Wanted, cur: SetState, mode: ReconcileMode, taken: Set<string>): SetPlan {
  const type = w.header.type;
  if (cur.header.type !== type || cur.header.family !== w.header.family)
    throw incompatible(w.name, cur.header, w.header);
  const header = headerDifferences(cur.header, w.header).filter(
    (d) => !d.startsWith('type:') && !d.startsWith('family:'),
  );
  const haveKeys = new Map([...cur.members.values()].map((m) => [m.element, memberKey(m)]));
  const wantKeys = new Map(w.members.map((m) => [m.element, memberKey(m)]));
  const removed = [...cur.members.values()].filter((m) => wantKeys.get(m.element) !== memberKey(m));
  const added = w.members.filter((m) => haveKeys.get(m.element) !== memberKey(m));
  const orderDiffers = type === 'list:set' && [...haveKeys.values()].join('\n') !== [...wantKeys.values()].join('\n');
  const membersDiffer = removed.length > 0 || added.length > 0 || orderDiffers;
  const change: IpsetChange = {
    set: w.name,
    type,
    action: 'unchanged',
    added: sorted(w.header, added).map(memberKey),
    removed: sorted(cur.header, removed).map(memberKey),
    header,
  };
  if (!membersDiffer && header.length === 0) return { lines: [], change };

  if (mode === 'swap') {
    const temp = tempSetName(w.name, taken);
    const lines = [
      createLine(temp, type, w.options),
      ...adds(temp, false, w.members, w.header),
      pairLine('swap', w.name, temp),
      setsLine('destroy', temp),
    ];
    return { lines, change: { ...change, action: 'replace', temp } };
  }
  if (header.length > 0) {
    const blocking = blockingDifference(w.name, cur.header, w);
    if (blocking !== undefined && membersDiffer) throw new DfwError(blocking);
    // A file that would stop halfway (flush: `create -exist` of another header fails, after the
    // sets before it changed) or leave the header as it is (incremental): refused, not written.
    const why =
      mode === 'flush'
        ? 'ipset restore refuses its "create -exist" line for a set with another header ("set with the same name already exists"), after the sets before it were changed'
        : 'it only adds and deletes members';
    throw new DfwError(
      `set ${w.name}: its header differs from the policy (${header.join('; ')}), and --mode ${mode} cannot change a header (${why}): use --mode swap, which fills a new set with the policy's header and swaps it in`,
    );
  }
  if (!membersDiffer) return { lines: [], change };
  if (mode === 'flush') return { lines: flushed(w), change: { ...change, action: 'replace' } };
  const lines =
    type === 'list:set'
      ? listUpdate(w.name, [...cur.members.values()], w.members)
      : [
          ...sorted(cur.header, removed).map((m) => entryLine('del', w.name, m.element, [], true)),
          ...adds(w.name, true, sorted(w.header, added), w.header),
        ];
  return { lines, change: { ...change, action: 'update' } };
}

/**
 * Incremental update of a list:set, whose order matters: delete what goes (or changes), then add
 * each missing member `before` the next one that stays; if the members that stay are out of
 * order, they are all deleted and the list is rebuilt in order.
 */
function listUpdate(name: string, have: Member[], want: Member[]): IpsetLine[] {
  const wantKey = new Map(want.map((m) => [m.element, memberKey(m)]));
  const remove = have.filter((m) => wantKey.get(m.element) !== memberKey(m));
  let kept = have.filter((m) => !remove.includes(m)).map((m) => m.element);
  const wantedOrder = want.map((m) => m.element).filter((e) => kept.includes(e));
  const out: IpsetLine[] = [];
  if (kept.join('\n') !== wantedOrder.join('\n')) {
    remove.push(...have.filter((m) => kept.includes(m.element)));
    kept = [];
  }
  for (const m of remove) out.push(entryLine('del', name, m.element, [], true));
  const present = new Set(kept);
  for (const [i, m] of want.entries()) {
    if (present.has(m.element)) continue;
    const next = want.slice(i + 1).find((x) => present.has(x.element));
    const pos: IpsetOption[] = next === undefined ? [] : [{ name: 'before', value: next.element }];
    out.push(entryLine('add', name, m.element, [...pos, ...m.options], true));
  }
  return out;
}
