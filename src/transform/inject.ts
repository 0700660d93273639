// The main transform: this policy's rules in the chain it owns (`DFW-<name>`), reached by one
// tagged jump at the top of Docker's chain; everything else byte for byte and in order. Pure:
// the input dump is never modified.
import { DfwError } from '../errors.js';
import type { IptablesDump, Rule, Statement, Table, TopLevel } from '../iptables/ast.js';
import { tableIncludes } from '../iptables/parsed.js';
import { chain, rule, table as newTable } from '../iptables/build.js';
import { isManaged } from '../iptables/managed.js';
import { ruleComments } from '../iptables/rule.js';
import {
  compilePolicy,
  forwardJumpRule,
  isJumpTag,
  jumpRule,
  managedPrefix,
  ownedChain,
  type SetFamily,
} from '../policy/compile.js';
import type { Family, Policy } from '../policy/types.js';
import { chainDeclPosition, topOfChain } from './position.js';
import { printSpec } from '../iptables/print.js';

export interface TransformOptions {
  family: Family;
  /** Declare the chain (and a tagged jump to it from FORWARD) when the dump does not have it. */
  createChain?: boolean;
  /** Families of sets known from an ipset dump, besides the policy's own. */
  setFamilies?: ReadonlyMap<string, SetFamily>;
}

export interface TransformResult {
  dump: IptablesDump;
  /** The managed rules, the whole content of the owned chain. */
  rules: Rule[];
  /** The chain the policy owns (`DFW-<name>`). */
  ownedChain: string;
  /**
   * This policy's tagged rules of the input that go and are outside its owned chain (rules of
   * the layout before the owned chain, directly in DOCKER-USER or DOCKER; a misplaced or
   * duplicated jump): a noflush file deletes them by specification. The owned chain's own old
   * rules are not here: declaring the chain flushes them.
   */
  stale: Rule[];
  /** The jump from the policy's chain to the owned chain. */
  jump: Rule;
  /** The jump is (re)inserted at the top of the policy's chain; false: it was in place and stays. */
  insertJump: boolean;
  /** The policy's chain (DOCKER-USER, DOCKER) was declared by dfw (--create-chain). */
  createdChain: boolean;
  /** The tagged `-j DOCKER-USER` jump added at the top of FORWARD with the chain (--create-chain). */
  addedJump: Rule | undefined;
  /** That jump, from an earlier --create-chain, moved back to the top of FORWARD (Docker put rules above it). */
  movedForward?: Rule;
}

/**
 * The policy's managed rules in its own chain, and one jump to it at the top of its chain;
 * every other line stays as it was, in order. Pure: the input dump is not modified.
 * Idempotent: transforming the result again gives the same text.
 *
 *   const { dump: out } = transformDump(parseIptables(saved), loadPolicy(yaml, 'dfw.yaml'), { family: 4 });
 *   process.stdout.write(printIptables(out));
 */
export function transformDump(dump: IptablesDump, policy: Policy, options: TransformOptions): TransformResult {
  refuseTableTwice(dump);
  const rules = compilePolicy(policy, options.family, { setFamilies: options.setFamilies });
  const prefix = managedPrefix(policy.name);
  const owned = ownedChain(policy.name);
  const index = dump.items.findIndex((i) => i.kind === 'table' && i.name === 'filter');
  let filter: Table;
  if (index >= 0) {
    filter = dump.items[index] as Table;
  } else if (options.createChain) {
    filter = newTable('filter', [chain('INPUT', 'ACCEPT'), chain('FORWARD', 'ACCEPT'), chain('OUTPUT', 'ACCEPT')]);
  } else {
    throw new DfwError(
      `the dump has no *filter table, so no ${policy.chain} chain: is this the output of iptables-save on a Docker host? (--create-chain declares it)`,
    );
  }

  const counted = withCounters(filter);
  const jump = jumpRule(policy);
  const kept = jumpInPlace(filter.body, policy, prefix, printSpec(jump.spec));
  // The tagged FORWARD jump of an earlier --create-chain stays as long as the policy does.
  const forward = printSpec(forwardJumpRule(policy).spec);
  const mine = (s: Statement): s is Rule =>
    s.kind === 'rule' &&
    (s.chain === owned || (isManaged(s, prefix) && !(s.chain === 'FORWARD' && printSpec(s.spec) === forward)));
  const old = filter.body.filter(mine);
  const stale = old.filter((r) => r.chain !== owned && r !== kept);
  const placed = counted ? keepCounters(rules, old) : rules;
  const body: Statement[] = filter.body.filter((s) => s === kept || !mine(s));

  let createdChain = false;
  let addedJump: Rule | undefined;
  if (!body.some((s) => s.kind === 'chain' && s.name === policy.chain)) {
    if (!options.createChain) {
      throw new DfwError(
        `chain ${policy.chain} is not in the filter table: Docker creates it when it starts with its iptables backend` +
          ' (Docker 29 with the nftables backend has none); --create-chain declares it and adds the jump at the top of FORWARD',
      );
    }
    const decl = chain(policy.chain);
    body.splice(chainDeclPosition({ ...filter, body }, decl), 0, decl);
    createdChain = true;
  }
  // Also when the chain exists and nothing jumps to it: ip6tables of Docker before 23.0 after the
  // boot bundle's unit made DOCKER-USER, which Docker never jumps to.
  if (
    (createdChain || options.createChain) &&
    !body.some((s) => s.kind === 'rule' && s.chain === 'FORWARD' && s.spec.target?.name === policy.chain)
  ) {
    addedJump = counted ? zeroCounters(forwardJumpRule(policy)) : forwardJumpRule(policy);
    body.splice(topOfChain(body, 'FORWARD'), 0, addedJump);
  }
  const movedForward = createdChain ? undefined : forwardBackOnTop(body, forward);
  if (!body.some((s) => s.kind === 'chain' && s.name === owned)) {
    const decl = chain(owned);
    body.splice(chainDeclPosition({ ...filter, body }, decl), 0, decl);
  }
  body.splice(topOfChain(body, owned), 0, ...placed);
  if (kept === undefined) body.splice(topOfChain(body, policy.chain), 0, counted ? zeroCounters(jump) : jump);

  const newFilter: Table = { ...filter, body };
  const items = (
    index >= 0 ? dump.items.map((it, i) => (i === index ? newFilter : it)) : [...dump.items, newFilter]
  ).map((it) => (it === newFilter ? it : withoutManaged(it, prefix)));
  return {
    dump: { ...dump, items, finalNewline: dump.finalNewline || index < 0 },
    rules: placed,
    ownedChain: owned,
    stale,
    jump,
    insertJump: kept === undefined,
    createdChain,
    addedJump,
    ...(movedForward && { movedForward }),
  };
}

/**
 * Docker before 23.0 writes no DOCKER-USER in ip6tables, so --create-chain adds the chain and a
 * tagged FORWARD jump to it; Docker (20.10) inserts its own FORWARD rules (its ESTABLISHED
 * accept, `-o docker0 -j DOCKER`) above that jump every time it starts, and published ports are
 * then accepted before the policy sees them. Like the main jump, the FORWARD jump is in place
 * only with nothing but dfw jumps above it; else it is moved back to the top (in `body`).
 */
function forwardBackOnTop(body: Statement[], spec: string): Rule | undefined {
  const i = body.findIndex((s) => s.kind === 'rule' && s.chain === 'FORWARD' && printSpec(s.spec) === spec);
  if (i < 0) return undefined;
  const foreignAbove = body
    .slice(0, i)
    .some((s) => s.kind === 'rule' && s.chain === 'FORWARD' && !ruleComments(s).some((c) => c.startsWith('dfw:')));
  if (!foreignAbove) return undefined;
  const [moved] = body.splice(i, 1) as [Rule];
  body.splice(topOfChain(body, 'FORWARD'), 0, moved);
  return moved;
}

/**
 * Another table without this policy's tagged rules (a plugin's, from an earlier run): the
 * plugins run again on the result, so that they never pile up (issue 22).
 */
function withoutManaged<T extends TopLevel>(it: T, prefix: string): T {
  if (it.kind !== 'table' || !tableIncludes(it, prefix)) return it;
  const body = it.body.filter((s) => !(s.kind === 'rule' && isManaged(s, prefix)));
  return body.length === it.body.length ? it : ({ ...it, body } as T);
}

/**
 * A table given twice: iptables-restore applies both (the second replaces the first in a full
 * restore), and dfw would change only the first, so the policy would never load (issue 22).
 */
function refuseTableTwice(dump: IptablesDump): void {
  const seen = new Map<string, Table>();
  for (const t of dump.items) {
    if (t.kind !== 'table') continue;
    const first = seen.get(t.name);
    if (first === undefined) {
      seen.set(t.name, t);
      continue;
    }
    const lines = first.source && t.source ? ` (lines ${first.source.line} and ${t.source.line})` : '';
    throw new DfwError(
      `the dump holds table ${t.name} twice${lines}: iptables-restore applies both, the second over the first, and dfw would change only the first; give each table once`,
    );
  }
}

/**
 * Whether the policy's rules differ between IPv4 and IPv6 (addresses, sets of one family,
 * REJECT's ICMP type): then a dump whose family cannot be told (no header line, no address)
 * needs the family said (issue 22: v4 rules in a v6 file fail to load).
 */
export function familyMatters(policy: Policy, setFamilies?: ReadonlyMap<string, SetFamily>): boolean {
  const text = (family: Family) =>
    compilePolicy(policy, family, { setFamilies })
      .map((r) => printSpec(r.spec))
      .join('\n');
  return text(4) !== text(6);
}

/**
 * The input's jump to the owned chain when it is where it belongs: the only rule of this policy
 * in the policy's chain that is the jump, with only other policies' jumps (`dfw:<other>:jump`)
 * above it, not counting this policy's rules that go anyway (the layout before the owned
 * chain). Several policies on one host thus keep their jumps at the top without moving each
 * other's. Undefined: the jump is missing, duplicated, or below another rule.
 */
function jumpInPlace(body: readonly Statement[], policy: Policy, prefix: string, spec: string): Rule | undefined {
  let found: Rule | undefined;
  let foreignAbove = false;
  for (const s of body) {
    if (s.kind !== 'rule' || s.chain !== policy.chain) continue;
    if (isManaged(s, prefix)) {
      if (printSpec(s.spec) !== spec) continue;
      if (found !== undefined || foreignAbove) return undefined;
      found = s;
    } else if (found === undefined && !ruleComments(s).some(isJumpTag)) {
      foreignAbove = true;
    }
  }
  return found;
}

/** Whether the table was saved with `iptables-save -c` (its rules carry `[p:b]` prefixes). */
function withCounters(table: Table): boolean {
  const first = table.body.find((s): s is Rule => s.kind === 'rule');
  return first?.counters !== undefined;
}

/** A new rule of a `-c` dump: `[0:0]`, as iptables-save -c prints it after the restore. */
function zeroCounters(r: Rule): Rule {
  return rule(r.chain, r.spec, { packets: '0', bytes: '0' });
}

/**
 * In a dump saved with -c, a managed rule that is already there keeps its line (and its
 * counters); a new one gets `[0:0]`, as iptables-save -c prints it after the restore.
 */
function keepCounters(rules: Rule[], stale: Rule[]): Rule[] {
  const old = new Map<string, Rule>();
  for (const r of stale) {
    const key = `${r.chain} ${printSpec(r.spec)}`;
    if (!old.has(key)) old.set(key, r);
  }
  return rules.map((r) => {
    const key = `${r.chain} ${printSpec(r.spec)}`;
    const same = old.get(key);
    if (same !== undefined) {
      old.delete(key);
      return same;
    }
    return zeroCounters(r);
  });
}
