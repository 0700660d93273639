// Where a rule or chain goes in a table body so that the text is what iptables-save would
// print after a restore: chains declared built-ins first then user chains in strcmp order,
// rules grouped by chain in declaration order (docs/format.md#order-of-tables-chains-and-rules).
import { BUILTIN_CHAINS, type ChainDecl, type Statement, type Table } from '../iptables/ast.js';

export function chainOrder(body: readonly Statement[]): Map<string, number> {
  const order = new Map<string, number>();
  for (const s of body) if (s.kind === 'chain' && !order.has(s.name)) order.set(s.name, order.size);
  return order;
}

/** Index in `body` of the first rule of `chain`, or where its first rule would be printed. */
export function topOfChain(body: readonly Statement[], chain: string): number {
  const first = body.findIndex((s) => s.kind === 'rule' && s.chain === chain);
  if (first >= 0) return first;
  const order = chainOrder(body);
  const mine = order.get(chain) ?? Number.MAX_SAFE_INTEGER;
  let lastStatement = -1;
  for (let i = 0; i < body.length; i++) {
    const s = body[i]!;
    if (s.kind === 'rule' && (order.get(s.chain) ?? Number.MAX_SAFE_INTEGER) > mine) return i;
    if (s.kind === 'rule' || s.kind === 'chain' || s.kind === 'command') lastStatement = i;
  }
  return lastStatement + 1;
}

/** strcmp order: byte order of the UTF-8 names, as libiptc and nft sort user chains. */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Index at which a new user chain's `:` line goes. */
export function chainDeclPosition(table: Table, decl: ChainDecl): number {
  const builtins = BUILTIN_CHAINS[table.name];
  let last = -1;
  for (let i = 0; i < table.body.length; i++) {
    const s = table.body[i]!;
    if (s.kind !== 'chain') continue;
    if (!builtins.includes(s.name) && byteCompare(s.name, decl.name) > 0) return i;
    last = i;
  }
  return last + 1;
}
