// The reports of `dfw exposure`: text and Markdown (JSON is the Exposure object itself).
import { OTHER_INTERFACES, type Exposure } from './exposure-compute.js';
import { portLabel, type ReachPair } from './exposure-compare.js';
import type { Reach, RuleRef } from './exposure-reach.js';

/** How many CIDRs of an unknown part a line shows before it says how many more. */
const SHOWN = 4;

const ifaceName = (i: string, alone: boolean): string =>
  i === OTHER_INTERFACES ? (alone ? 'any interface' : 'any other interface') : i;

export const ruleName = (r: RuleRef): string =>
  r.table === 'routing'
    ? 'routing'
    : r.rule === 0
      ? `${r.table} ${r.chain} policy`
      : `${r.table} ${r.chain} rule ${r.rule}${r.line === undefined ? '' : ` (line ${r.line})`}`;

/** `a`, `a and b`, `a, b and c`. */
function andList(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

function shortList(xs: readonly string[]): string {
  return xs.length <= SHOWN ? xs.join(', ') : `${xs.slice(0, SHOWN).join(', ')} and ${xs.length - SHOWN} more`;
}

/** `set:ipfriends (203.0.113.7, 198.51.100.22)`, or the name alone (`withMembers` false). */
function setText(s: Reach['sets'][number], withMembers: boolean): string {
  return withMembers && s.members.length > 0 ? `set:${s.name} (${shortList(s.members)})` : `set:${s.name}`;
}

/** The reach in words: `anyone`, `nobody`, `192.0.2.0/24 and set:ipfriends`, or what is unknown and why. */
export function reachText(r: Reach, withMembers = true): string {
  if (r.kind === 'anyone' || r.kind === 'nobody') return r.kind;
  const may = [...r.from, ...r.sets.map((s) => setText(s, withMembers))];
  if (r.kind === 'some') return r.except === undefined ? andList(may) : `anyone except ${andList(r.except)}`;
  const unknown = r.unknown.map(
    (u) =>
      `unknown for ${u.rest ? 'every other source' : shortList(u.from)} (depends on ${u.dependsOn.map((d) => `${ruleName(d)}: ${d.why}`).join('; ')})`,
  );
  return [...(may.length > 0 ? [`${andList(may)} may connect`] : []), ...unknown].join('; ');
}

function header(e: Exposure, file: string): string {
  const named = e.interfaces.filter((i) => i !== OTHER_INTERFACES);
  const other = e.interfaces.includes(OTHER_INTERFACES) ? ', and any other' : '';
  const ifaces = named.length === 0 ? 'every interface alike' : `interfaces ${named.join(', ')}${other}`;
  const host = e.hostAddress === undefined ? '' : `; ports without a destination probed at ${e.hostAddress}`;
  return `IPv${e.family} exposure of ${file} (${ifaces}${host})`;
}

/** One block per published port, one line per interface class. */
export function exposureText(e: Exposure, file: string): string {
  const lines = [header(e, file), ''];
  if (e.ports.length === 0) lines.push('no published port (no DNAT rule a packet from outside reaches)');
  for (const p of e.ports) {
    lines.push(portLabel(p, e.family));
    for (const r of p.reach) lines.push(`  ${ifaceName(r.interface, p.reach.length === 1)}: ${reachText(r.reach)}`);
  }
  return `${lines.join('\n')}\n`;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function exposureMarkdown(e: Exposure, file: string): string {
  const lines = [`## ${cell(header(e, file))}`, '', '| port | from | who can connect |', '|---|---|---|'];
  for (const p of e.ports)
    for (const r of p.reach)
      lines.push(
        `| ${cell(portLabel(p, e.family))} | ${ifaceName(r.interface, p.reach.length === 1)} | ${cell(reachText(r.reach))} |`,
      );
  return `${lines.join('\n')}\n`;
}

const side = (r: Reach | undefined): string => (r === undefined ? 'not published' : reachText(r));

/** Before and after, every port and interface. */
export function sideBySideText(pairs: readonly ReachPair[], title: string): string {
  const lines = [title, ''];
  let port = '';
  for (const p of pairs) {
    if (p.port !== port) lines.push((port = p.port));
    const alone = pairs.filter((q) => q.port === p.port).length === 1;
    lines.push(`  ${ifaceName(p.interface, alone)}:`);
    lines.push(`    before: ${side(p.before)}`);
    lines.push(`    after:  ${side(p.after)}${p.changed ? (p.more ? '  (more sources)' : '  (changed)') : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export function sideBySideMarkdown(pairs: readonly ReachPair[], title: string): string {
  const lines = [`## ${cell(title)}`, '', '| port | from | before | after |', '|---|---|---|---|'];
  for (const p of pairs) {
    const alone = pairs.filter((q) => q.port === p.port).length === 1;
    const after = `${side(p.after)}${p.more ? ' **(more sources)**' : ''}`;
    lines.push(`| ${cell(p.port)} | ${ifaceName(p.interface, alone)} | ${cell(side(p.before))} | ${cell(after)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line per port and interface whose reach changed: `tcp 8080 -> 172.17.0.2:80: was …, now …`. */
export function diffLines(pairs: readonly ReachPair[]): string[] {
  return pairs
    .filter((p) => p.changed)
    .map((p) => {
      const from = p.interface === OTHER_INTERFACES ? '' : ` from ${p.interface}`;
      const was = p.before === undefined ? 'not published' : reachText(p.before, false);
      const now = p.after === undefined ? 'not published' : reachText(p.after, false);
      return `${p.port}${from}: was ${was}, now ${now}${p.more ? ' (more sources)' : ''}`;
    });
}
