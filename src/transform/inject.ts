// The main transform: this policy's managed rules at the top of Docker's chain, everything
// else byte for byte and in order. Pure: the input dump is never modified.
import { DfwError } from '../errors.js';
import type { IptablesDump, Rule, Statement, Table } from '../iptables/ast.js';
import { chain, jump, rule, table as newTable } from '../iptables/build.js';
import { isManaged } from '../iptables/managed.js';
import { compilePolicy, managedPrefix, type SetFamily } from '../policy/compile.js';
import type { Family, Policy } from '../policy/types.js';
import { chainDeclPosition, topOfChain } from './position.js';
import { stripBody } from './strip.js';
import { printSpec } from '../iptables/print.js';

export interface TransformOptions {
  family: Family;
  /** Declare the chain (and the jump to it from FORWARD) when the dump does not have it. */
  createChain?: boolean;
  /** Families of sets known from an ipset dump, besides the policy's own. */
  setFamilies?: ReadonlyMap<string, SetFamily>;
}

export interface TransformResult {
  dump: IptablesDump;
  /** The managed rules now at the top of the chain. */
  rules: Rule[];
  /** This policy's rules found in the input (any chain), for explicit deletes. */
  stale: Rule[];
  /** The chain was declared by dfw (--create-chain). */
  createdChain: boolean;
  /** A `-j CHAIN` jump was added at the top of FORWARD. */
  addedJump: Rule | undefined;
}

/**
 * The policy's managed rules at the top of its chain; every other line stays as it was, in
 * order. Pure: the input dump is not modified. Idempotent: transforming the result again
 * gives the same text.
 *
 *   const { dump: out } = transformDump(parseIptables(saved), loadPolicy(yaml, 'dfw.yaml'), { family: 4 });
 *   process.stdout.write(printIptables(out));
 */
export function transformDump(dump: IptablesDump, policy: Policy, options: TransformOptions): TransformResult {
  const rules = compilePolicy(policy, options.family, { setFamilies: options.setFamilies });
  const prefix = managedPrefix(policy.name);
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

  const stale = filter.body.filter((s): s is Rule => s.kind === 'rule' && isManaged(s, prefix));
  const placed = withCounters(filter) ? keepCounters(rules, stale) : rules;
  const body: Statement[] = [...stripBody(filter.body, prefix)];

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
    if (!body.some((s) => s.kind === 'rule' && s.chain === 'FORWARD' && s.spec.target?.name === policy.chain)) {
      addedJump = rule('FORWARD', { target: jump(policy.chain) });
      body.splice(topOfChain(body, 'FORWARD'), 0, addedJump);
    }
  }
  body.splice(topOfChain(body, policy.chain), 0, ...placed);

  const newFilter: Table = { ...filter, body };
  const items = index >= 0 ? dump.items.map((it, i) => (i === index ? newFilter : it)) : [...dump.items, newFilter];
  return {
    dump: { ...dump, items, finalNewline: dump.finalNewline || index < 0 },
    rules: placed,
    stale,
    createdChain,
    addedJump,
  };
}

/** Whether the table was saved with `iptables-save -c` (its rules carry `[p:b]` prefixes). */
function withCounters(table: Table): boolean {
  const first = table.body.find((s): s is Rule => s.kind === 'rule');
  return first?.counters !== undefined;
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
    return { ...r, counters: { packets: '0', bytes: '0' } };
  });
}
