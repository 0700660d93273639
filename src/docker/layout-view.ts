// One read of a dump for the layout fingerprint and the lint rules: the filter table's chains
// and rules by chain (its body is read once, as `dfw transform` reads it), the other tables'
// chains on demand, so that a big nat table of kube-proxy's is never built rule by rule.
import type { ChainDecl, IptablesDump, Rule, Table, TableName } from '../iptables/ast.js';
import { chainRules } from '../iptables/parsed.js';

export class DumpView {
  readonly dump: IptablesDump;
  readonly #tables = new Map<TableName, Table>();
  readonly #decls = new Map<TableName, Map<string, ChainDecl>>();
  readonly #rules = new Map<TableName, Map<string, Rule[]>>();

  constructor(dump: IptablesDump) {
    this.dump = dump;
    for (const item of dump.items)
      if (item.kind === 'table' && !this.#tables.has(item.name)) this.#tables.set(item.name, item);
    const filter = this.#tables.get('filter');
    if (filter !== undefined) this.#index('filter', filter);
  }

  /** The table, when the dump has it. */
  table(name: TableName): Table | undefined {
    return this.#tables.get(name);
  }

  /** Every rule and chain line of a table, indexed by chain (for the small tables and filter). */
  #index(name: TableName, table: Table): void {
    const decls = new Map<string, ChainDecl>();
    const rules = new Map<string, Rule[]>();
    for (const s of table.body) {
      if (s.kind === 'chain') decls.set(s.name, s);
      else if (s.kind === 'rule') {
        const list = rules.get(s.chain);
        if (list === undefined) rules.set(s.chain, [s]);
        else list.push(s);
      }
    }
    this.#decls.set(name, decls);
    this.#rules.set(name, rules);
  }

  /** The chain lines of a table (its whole body is read: for filter, raw, mangle). */
  decls(name: TableName): ReadonlyMap<string, ChainDecl> {
    if (!this.#decls.has(name)) {
      const t = this.#tables.get(name);
      if (t === undefined) return new Map();
      this.#index(name, t);
    }
    return this.#decls.get(name)!;
  }

  readonly #chainCache = new Map<string, readonly Rule[]>();

  /**
   * The rules of one chain, in order; other chains of a table not yet indexed stay unbuilt.
   * Each chain is looked up once (a lookup scans the table's lines).
   */
  rules(table: TableName, chain: string): readonly Rule[] {
    const indexed = this.#rules.get(table);
    if (indexed !== undefined) return indexed.get(chain) ?? [];
    const key = `${table} ${chain}`;
    let found = this.#chainCache.get(key);
    if (found === undefined) {
      const t = this.#tables.get(table);
      found = t === undefined ? [] : chainRules(t, chain);
      this.#chainCache.set(key, found);
    }
    return found;
  }

  /** Names of the filter chains, in the order they are declared. */
  filterChains(): string[] {
    return [...this.decls('filter').keys()];
  }
}
