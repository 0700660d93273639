// --check and --diff: the live table against the one the policy gives, compared by normalised
// printing. Both go through the same printer (print.ts); before that, the live sets' elements
// are put in the canonical form dfw writes (merged, sorted intervals), since nft may list the
// same members in another spelling or order. Handles and counter values are not printed, so
// they never make a difference; everything else (a rule added, removed, reordered or edited, a
// member, a flag, an object dfw does not write) does.
import type { Family } from '../net/family.js';
import { intervalJson, jsonInterval, mergeIntervals, uniqueAddresses, type Interval } from './intervals.js';
import type { NftSet, NftTable } from './model.js';
import { tableText } from './print.js';

const ADDR_TYPES: Record<string, Family> = { ipv4_addr: 4, ipv6_addr: 6 };

function normaliseSet(s: NftSet): NftSet {
  const family = ADDR_TYPES[s.type];
  if (family === undefined) return s;
  const parsed = s.elements.map((e) => jsonInterval(e, family));
  if (parsed.some((p) => p === undefined)) return s; // another form (timeouts, comments): as listed
  const list = parsed as Interval[];
  const members = s.flags.includes('interval') ? mergeIntervals(list) : uniqueAddresses(list);
  return { ...s, elements: members.map((m) => intervalJson(m, family)) };
}

/** The live table in the form dfw prints, for comparison (empty text when the table is missing). */
export function liveTableText(live: NftTable | undefined): string {
  return live === undefined ? '' : tableText({ ...live, sets: live.sets.map(normaliseSet) });
}

/** Whether the live table is exactly what `wanted` says, and both texts (for a diff). */
export function compareTables(
  live: NftTable | undefined,
  wanted: NftTable,
): { same: boolean; live: string; wanted: string } {
  const a = liveTableText(live);
  const b = tableText(wanted);
  return { same: a === b, live: a, wanted: b };
}
