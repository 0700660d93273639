// A dump prepared for evaluation: its tables indexed by chain, once. A chain's rules are read
// (and their options parsed) the first time a packet enters it, so a million-line kube-proxy
// dump costs one scan per chain visited, not a node per line (src/iptables/parsed.ts keeps
// rules as text until asked).
import type { Family, IptablesDump, Rule, Table, TableName } from '../iptables/ast.js';
import { detectFamily } from '../iptables/family.js';
import { chainRules, tableBodyText } from '../iptables/parsed.js';
import type { IpsetDump } from '../ipset/ast.js';
import { type CompiledRule, compileRule } from './compile.js';
import { deriveFacts } from './facts.js';
import { SetIndex } from './sets.js';
import type { HostFacts } from './types.js';

export interface RulesetOptions {
  /** The host's sets (`ipset save`): without it, every `-m set` match is unknown. */
  readonly ipsets?: IpsetDump;
  /** Facts about the host; what is not given is derived from the dump (docs/design.md#what-the-evaluator-derives). */
  readonly facts?: Partial<HostFacts>;
  /** The address family, when the dump does not say (default 4). */
  readonly family?: Family;
}

/** A chain's declaration: its policy (`ACCEPT`, `DROP`, or `-` for a user chain). */
interface Decl {
  readonly policy: string;
  readonly line?: number;
  readonly text: string;
}

/** One table of the dump, its chains read on demand. */
export class TableIndex {
  readonly #rules = new Map<string, readonly CompiledRule[]>();
  readonly #decls = new Map<string, Decl | undefined>();
  #allDecls: Map<string, Decl> | undefined;

  constructor(
    readonly name: TableName,
    readonly table: Table,
    private readonly family: Family,
  ) {}

  /** The compiled rules of a chain (empty for a chain without rules or not declared). */
  rules(chain: string): readonly CompiledRule[] {
    let r = this.#rules.get(chain);
    if (r === undefined) {
      r = chainRules(this.table, chain).map((rule: Rule, i) => compileRule(rule, i + 1, this.family));
      this.#rules.set(chain, r);
    }
    return r;
  }

  /** The `:CHAIN POLICY` line of a chain, or undefined when the table does not declare it. */
  decl(chain: string): Decl | undefined {
    if (this.#decls.has(chain)) return this.#decls.get(chain);
    const d = this.#findDecl(chain);
    this.#decls.set(chain, d);
    return d;
  }

  #findDecl(chain: string): Decl | undefined {
    const text = tableBodyText(this.table);
    if (text === undefined) {
      // A table built in code (or read from JSON): its body is nodes.
      this.#allDecls ??= new Map(
        this.table.body.flatMap((s) =>
          s.kind === 'chain'
            ? [[s.name, { policy: s.policy, text: `:${s.name} ${s.policy}`, line: s.source?.line }]]
            : [],
        ),
      );
      return this.#allDecls.get(chain);
    }
    // Chain lines of a parsed table are found in its text: no node is built for its rules.
    const head = `:${chain}`;
    for (let at = text.indexOf(head); at >= 0; at = text.indexOf(head, at + 1)) {
      const after = text.charCodeAt(at + head.length);
      if ((at === 0 || text.charCodeAt(at - 1) === 10) && (after === 32 || after === 9)) {
        const eol = text.indexOf('\n', at);
        const line = text.slice(at, eol < 0 ? text.length : eol).replace(/\r$/, '');
        const policy = line.split(/[ \t]+/)[1] ?? '-';
        const before = text.slice(0, at).split('\n').length;
        return { policy, text: line, line: (this.table.source?.line ?? 0) + before };
      }
    }
    return undefined;
  }
}

export interface Ruleset {
  readonly family: Family;
  readonly tables: ReadonlyMap<TableName, TableIndex>;
  readonly sets: SetIndex;
  readonly facts: HostFacts;
}

/**
 * Prepares a dump for `evaluate`: indexes its tables, reads the ipset dump's members, and
 * derives the host facts not given (the local addresses and bridge networks the rules imply).
 *
 *   const rs = prepareRuleset(parseIptables(text), { ipsets: parseIpset(sets, 'sets'), facts: { localAddresses: ['192.0.2.1'] } });
 *   evaluate(rs, { family: 4, in: 'eth0', src: '203.0.113.5', dst: '192.0.2.1', proto: 'tcp', dport: 8080, state: 'new' });
 */
export function prepareRuleset(dump: IptablesDump, options: RulesetOptions = {}): Ruleset {
  const family = detectFamily(dump) ?? options.family ?? 4;
  const tables = new Map<TableName, TableIndex>();
  for (const item of dump.items)
    if (item.kind === 'table' && !tables.has(item.name)) tables.set(item.name, new TableIndex(item.name, item, family));
  const derived = deriveFacts(tables, family);
  const given = options.facts ?? {};
  const facts: HostFacts = {
    localAddresses: given.localAddresses ?? derived.localAddresses,
    routes: given.routes ?? derived.routes,
    localAddressesComplete: given.localAddresses !== undefined ? (given.localAddressesComplete ?? true) : false,
  };
  return { family, tables, sets: new SetIndex(options.ipsets), facts };
}
