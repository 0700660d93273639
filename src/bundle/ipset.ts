// ipset.restore: the policy's sets, for `ipset restore` at boot AND over a running host.
//
// One static file must work in both cases: at boot no set exists; on a running host the sets
// exist and the iptables rules use them, so they cannot be destroyed, and a flush would leave
// them empty for a moment (the allowlisted sources dropped). So each set is made to exist
// (`create -exist`, which changes nothing in an existing set of the same type), a temporary
// set is filled and swapped in (iptables rules follow the name: they see the old content, then
// the new, never a half-filled set), and the temporary set, now holding the old content, is
// destroyed (docs/format.md#replacing-a-set-atomically, docs/docker.md#ipset-lifecycle). A temporary set left
// over by an interrupted run is reused: `create -exist` and `flush` it first.
import { DfwError } from '../errors.js';
import {
  type CreateLine,
  type EntryLine,
  type IpsetLine,
  commentLine,
  createLine,
  pairLine,
  printLine,
  reconcileIpsets,
  setsLine,
} from '../ipset/index.js';
import { tempSetName } from '../ipset/set-name.js';
import type { Policy } from '../policy/types.js';

const HEADER = [
  'Boot and update file: safe with no sets yet and over a running host whose iptables rules use the',
  'sets. Each set is created if missing (create -exist changes nothing in an existing set), then a',
  'temporary set is filled and swapped in: the rules follow the name, so they see the old members',
  'until the swap and the new ones after it, never an empty or half-filled set (a flush would drop',
  'the allowlisted sources for a moment, and a set in use cannot be destroyed). The temporary set,',
  'now holding the old members, is destroyed. A set the host has with another type, family or',
  'header (maxelem, timeout, counters, comment...) cannot be made to exist with this one: the',
  'restore stops at its create line, in the first block, before any set was changed (see which',
  'with dfw ipset --check; change it with dfw ipset --mode swap, or destroy it and reload).',
];

/**
 * The text of ipset.restore for the policy's sets, or undefined when the policy declares none.
 * Members are normalised and validated by the ipset reconciler (src/ipset), in its order:
 * member sets before the list:set sets that name them.
 */
export function ipsetRestoreText(policy: Policy): string | undefined {
  if (policy.ipsets.length === 0) return undefined;
  // With no current sets, the reconciler writes each set as `create` followed by its `add` lines.
  const { lines: plan, changes } = reconcileIpsets(undefined, policy.ipsets, 'swap');
  // A bitmap set's range is one add line: count the members, not the lines.
  const count = (set: string) => changes.find((c) => c.set === set)?.added.length ?? 0;
  const taken = new Set(policy.ipsets.map((s) => s.name));
  const groups: { create: CreateLine; adds: EntryLine[] }[] = [];
  for (const line of plan) {
    if (line.kind === 'create') groups.push({ create: line, adds: [] });
    else if (line.kind === 'add' && groups.length > 0 && groups[groups.length - 1]!.create.set === line.set)
      groups[groups.length - 1]!.adds.push(line);
    else throw new DfwError(`internal: unexpected line in the ipset plan: ${printLine(line)}`);
  }

  const lines: IpsetLine[] = [
    commentLine(
      `# dfw: policy ${policy.name}: its ipsets, for \`ipset restore -file ipset.restore\`, before rules.v4 / rules.v6`,
    ),
    ...HEADER.map((t) => commentLine(`# ${t}`)),
  ];
  // Every set made to exist first: a set the host has with another header (maxelem, timeout…)
  // stops the restore at its create line, before any set was changed.
  // The temporary sets too: one left by an interrupted run of an older header stops it there.
  const temps = groups.map(({ create }) => tempSetName(create.set, taken));
  lines.push(
    { kind: 'blank' },
    commentLine('# every set and its temporary set first'),
    ...groups.flatMap(({ create }, i) => [
      createLine(create.set, create.type, create.options, true),
      createLine(temps[i]!, create.type, create.options, true),
    ]),
  );
  for (const [i, { create, adds }] of groups.entries()) {
    const temp = temps[i]!;
    lines.push(
      { kind: 'blank' },
      commentLine(`# set ${create.set}: ${count(create.set)} ${count(create.set) === 1 ? 'member' : 'members'}`),
      setsLine('flush', temp),
      ...adds.map((a) => ({ ...a, set: temp, exist: false })),
      pairLine('swap', create.set, temp),
      setsLine('destroy', temp),
    );
  }
  return lines.map((l) => `${printLine(l)}\n`).join('');
}
