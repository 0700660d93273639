// Reads `nft -j list ruleset` (libnftables-json(5), schema version 1) with a JSON parser, into
// the tables it lists. The structure dfw relies on is checked, with errors that give the file,
// the JSON path and what was expected; statements inside rules are kept as they are (the
// printer shows any of them).
import { DfwError } from '../errors.js';
import { parseJsonText } from '../json-input.js';
import { NFT_FAMILIES, type NftChain, type NftFamily, type NftJson, type NftTable } from './model.js';

export interface NftRuleset {
  /** nft's version, from metainfo (absent in hand-made input). */
  version?: string;
  /** Every table, in the order listed. */
  tables: NftTable[];
}

/** Every object kind schema version 1 lists in a ruleset (libnftables-json(5), "RULESET ELEMENTS"). */
const KINDS = [
  'metainfo',
  'table',
  'chain',
  'rule',
  'set',
  'map',
  'element',
  'flowtable',
  'counter',
  'quota',
  'ct helper',
  'limit',
  'ct timeout',
  'ct expectation',
  'secmark',
  'synproxy',
  'tunnel',
];

type Obj = { [key: string]: NftJson };

const HINT = 'expected the output of nft -j list ruleset';

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `the ${typeof v} ${String(v)}`;
}

class Reader {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string, found: unknown): never {
    this.failText(path, expected, describe(found));
  }

  failText(path: string, expected: string, found: string): never {
    throw new DfwError(`${this.file}: ${path}: expected ${expected}, found ${found} (${HINT})`);
  }

  obj(v: unknown, path: string, expected: string): Obj {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, expected, v);
    return v as Obj;
  }

  str(o: Obj, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string' || v === '') this.fail(`${path}.${key}`, 'a non-empty string', v);
    return v;
  }

  family(o: Obj, path: string): NftFamily {
    const f = this.str(o, 'family', path);
    if (!(NFT_FAMILIES as readonly string[]).includes(f))
      this.fail(`${path}.family`, `one of ${NFT_FAMILIES.join(', ')}`, f);
    return f as NftFamily;
  }
}

/** First non-blank character of the input, to name the format when it is not JSON at all. */
function notJsonHint(text: string, file: string): void {
  const t = text.trimStart();
  if (t.startsWith('table ') || t.startsWith('#') || t.startsWith('*')) {
    const what = t.startsWith('table ')
      ? 'nft list ruleset text; dfw reads its JSON form: nft -j list ruleset'
      : 'an iptables-save dump; for the iptables backend use dfw transform';
    throw new DfwError(`${file}: this is ${what}`);
  }
}

/**
 * Reads the JSON text of `nft -j list ruleset`. `file` is only used in messages.
 * @throws DfwError (DfwSyntaxError for text that is not JSON) for anything else.
 */
export function readNftRuleset(text: string, file: string): NftRuleset {
  if (text.trim() === '')
    throw new DfwError(`${file}: empty input: ${HINT} (--no-dump builds the table from the policy alone)`);
  notJsonHint(text, file);
  const r: Reader = new Reader(file);
  const top = r.obj(parseJsonText(text, file), '(top level)', 'an object {"nftables": [...]}');
  const items = top.nftables;
  if (!Array.isArray(items)) r.fail('nftables', 'an array', items);
  const ruleset = new RulesetBuilder(r, file);
  items.forEach((item, i) => ruleset.item(item, `nftables[${i}]`));
  return ruleset.out;
}

const key = (...parts: string[]) => parts.join(' ');

/** Builds the ruleset from its items, in order: each object names the table (and chain) it belongs to. */
class RulesetBuilder {
  readonly out: NftRuleset = { tables: [] };
  readonly #tables = new Map<string, NftTable>();
  readonly #chains = new Map<string, NftChain>();

  constructor(
    private readonly r: Reader,
    private readonly file: string,
  ) {}

  item(item: unknown, path: string): void {
    const r: Reader = this.r;
    const o = r.obj(item, path, 'an object with one key (metainfo, table, chain, rule, set, ...)');
    const keys = Object.keys(o);
    if (keys.length !== 1)
      r.failText(
        path,
        'an object with exactly one key (metainfo, table, chain, rule, set, ...)',
        `an object with ${keys.length} keys`,
      );
    const kind = keys[0]!;
    if (!KINDS.includes(kind))
      throw new DfwError(
        `${this.file}: ${path}: unknown object "${kind}": expected one of ${KINDS.join(', ')} (${HINT})`,
      );
    const p = `${path}.${kind}`;
    const body = r.obj(o[kind], p, 'an object');
    switch (kind) {
      case 'metainfo':
        return this.#metainfo(body, p);
      case 'table':
        return this.#table(body, p);
      case 'chain':
        return this.#chain(body, p);
      case 'rule':
        return this.#rule(body, p);
      case 'set':
        return this.#set(body, p);
      default:
        // Maps, flowtables, named counters...: dfw writes none, but one in dfw's table is a difference.
        if (typeof body.table === 'string' && typeof body.family === 'string')
          this.#tableOf(body, p, kind).others.push({ [kind]: withoutHandle(body) });
    }
  }

  #tableOf(o: Obj, path: string, kind: string): NftTable {
    const family = this.r.family(o, path);
    const name = this.r.str(o, 'table', path);
    const t = this.#tables.get(key(family, name));
    if (t === undefined)
      throw new DfwError(
        `${this.file}: ${path}: ${kind} of table ${family} ${name}, which the ruleset does not list before it (${HINT})`,
      );
    return t;
  }

  #metainfo(body: Obj, p: string): void {
    const v = body.json_schema_version;
    if (v !== undefined && v !== 1) this.r.fail(`${p}.json_schema_version`, '1 (the schema dfw reads)', v);
    if (typeof body.version === 'string') this.out.version = body.version;
  }

  #table(body: Obj, p: string): void {
    const family = this.r.family(body, p);
    const name = this.r.str(body, 'name', p);
    if (this.#tables.has(key(family, name)))
      throw new DfwError(`${this.file}: ${p}: table ${family} ${name} is listed twice (${HINT})`);
    const t: NftTable = { family, name, sets: [], chains: [], others: [] };
    this.#tables.set(key(family, name), t);
    this.out.tables.push(t);
  }

  #chain(body: Obj, p: string): void {
    const r: Reader = this.r;
    const t = this.#tableOf(body, p, 'chain');
    const name = r.str(body, 'name', p);
    const c: NftChain = { name, rules: [] };
    if (body.hook !== undefined) {
      const prio = body.prio;
      if (typeof prio !== 'number' || !Number.isInteger(prio)) r.fail(`${p}.prio`, 'an integer', prio);
      c.base = {
        type: r.str(body, 'type', p),
        hook: r.str(body, 'hook', p),
        prio,
        policy: typeof body.policy === 'string' ? body.policy : 'accept',
      };
    }
    if (this.#chains.has(key(t.family, t.name, name)))
      throw new DfwError(`${this.file}: ${p}: chain ${name} of table ${t.family} ${t.name} is listed twice (${HINT})`);
    this.#chains.set(key(t.family, t.name, name), c);
    t.chains.push(c);
  }

  #rule(body: Obj, p: string): void {
    const r: Reader = this.r;
    const t = this.#tableOf(body, p, 'rule');
    const chain = r.str(body, 'chain', p);
    const c = this.#chains.get(key(t.family, t.name, chain));
    if (c === undefined)
      throw new DfwError(
        `${this.file}: ${p}: rule of chain ${chain}, which table ${t.family} ${t.name} does not list before it (${HINT})`,
      );
    const expr = body.expr;
    if (!Array.isArray(expr)) r.fail(`${p}.expr`, 'an array of statements', expr);
    expr.forEach((s, k) => {
      const so = r.obj(s, `${p}.expr[${k}]`, 'a statement object such as {"accept": null}');
      if (Object.keys(so).length !== 1)
        r.failText(
          `${p}.expr[${k}]`,
          'a statement object with one key',
          `an object with ${Object.keys(so).length} keys`,
        );
    });
    const comment = body.comment;
    if (comment !== undefined && typeof comment !== 'string') r.fail(`${p}.comment`, 'a string', comment);
    c.rules.push(comment === undefined ? { expr } : { expr, comment });
  }

  #set(body: Obj, p: string): void {
    const r: Reader = this.r;
    const t = this.#tableOf(body, p, 'set');
    const name = r.str(body, 'name', p);
    const type = body.type;
    if (typeof type !== 'string' && !Array.isArray(type)) r.fail(`${p}.type`, 'a type name or a list of them', type);
    const flags = body.flags ?? [];
    if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string'))
      r.fail(`${p}.flags`, 'an array of strings', flags);
    const elem = body.elem ?? [];
    if (!Array.isArray(elem)) r.fail(`${p}.elem`, 'an array of elements', elem);
    t.sets.push({
      name,
      type: Array.isArray(type) ? type.join(' . ') : type,
      flags: flags as string[],
      elements: elem,
    });
  }
}

/** Handles are the kernel's numbering, not content. */
function withoutHandle(o: Obj): Obj {
  const { handle: _handle, ...rest } = o;
  return rest;
}

/** The table `family name` of a ruleset, or undefined. */
export function findTable(rs: NftRuleset, family: NftFamily, name: string): NftTable | undefined {
  return rs.tables.find((t) => t.family === family && t.name === name);
}
