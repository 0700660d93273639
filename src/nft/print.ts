// Prints nft tables: one printer for the table dfw compiles and the table it reads back, so that
// `--check` compares printed text and `--diff` shows it. What it prints from dfw's own model is
// valid `nft -f` input; a live statement outside the subset dfw writes prints as its JSON (in
// a diff only, never in a script).
import type { NftChain, NftJson, NftRule, NftSet, NftTable } from './model.js';

type Obj = { [key: string]: NftJson };

const isObj = (v: NftJson | undefined): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The one key of `{key: value}`, or undefined. */
function only(v: NftJson): [string, NftJson] | undefined {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 ? [keys[0]!, v[keys[0]!]!] : undefined;
}

/** meta keys nft prints without `meta`. */
const BARE_META = ['iifname', 'oifname', 'iif', 'oif', 'mark', 'iiftype', 'oiftype', 'skuid', 'skgid'];
const NAME_KEYS = ['iifname', 'oifname'];
const BARE = /^[A-Za-z0-9_.:/@*-]+$/;

const quote = (s: string): string => JSON.stringify(s);

function value(v: NftJson, names = false): string {
  if (typeof v === 'string') return names || !BARE.test(v) ? (v.startsWith('@') ? v : quote(v)) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => value(x, names)).join(',');
  const kv = only(v);
  if (kv === undefined) return JSON.stringify(v);
  const [k, x] = kv;
  if (k === 'prefix' && isObj(x)) return `${value(x.addr ?? null)}/${value(x.len ?? null)}`;
  if (k === 'range' && Array.isArray(x) && x.length === 2) return `${value(x[0]!, names)}-${value(x[1]!, names)}`;
  if (k === 'set' && Array.isArray(x)) return `{ ${x.map((e) => value(e, names)).join(', ')} }`;
  if (k === 'meta' && isObj(x) && typeof x.key === 'string') return BARE_META.includes(x.key) ? x.key : `meta ${x.key}`;
  if (k === 'payload' && isObj(x) && typeof x.protocol === 'string' && typeof x.field === 'string')
    return `${x.protocol} ${x.field}`;
  if (k === 'ct' && isObj(x) && typeof x.key === 'string')
    return typeof x.dir === 'string' ? `ct ${x.dir} ${x.key}` : `ct ${x.key}`;
  return JSON.stringify(v);
}

/** One statement of a rule, as nft writes it. */
export function statementText(s: NftJson): string {
  const kv = only(s);
  if (kv === undefined) return JSON.stringify(s);
  const [k, x] = kv;
  switch (k) {
    case 'match': {
      if (!isObj(x) || x.left === undefined || x.right === undefined || typeof x.op !== 'string') break;
      const left = value(x.left);
      const names = NAME_KEYS.includes(left);
      const op = x.op === '==' || x.op === 'in' ? ' ' : ` ${x.op} `;
      return `${left}${op}${value(x.right, names)}`;
    }
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      if (x === null) return k;
      break;
    case 'jump':
    case 'goto':
      if (isObj(x) && typeof x.target === 'string') return `${k} ${x.target}`;
      break;
    case 'reject':
      if (x === null) return 'reject';
      if (isObj(x) && typeof x.type === 'string')
        return typeof x.expr === 'string' ? `reject with ${x.type} ${x.expr}` : `reject with ${x.type}`;
      break;
    case 'counter':
      // Counter values change with traffic: a counter is the same statement whatever it counted.
      return 'counter';
  }
  return JSON.stringify(s);
}

export function ruleText(r: NftRule): string {
  const body = r.expr.map(statementText).join(' ');
  return r.comment === undefined ? body : `${body} comment ${quote(r.comment)}`;
}

function elementText(e: NftJson): string {
  return value(e);
}

function priorityText(prio: number): string {
  return prio === 0 ? 'filter' : prio < 0 ? `filter - ${-prio}` : `filter + ${prio}`;
}

function setLines(s: NftSet): string[] {
  const lines = [`\tset ${s.name} {`, `\t\ttype ${s.type}`];
  if (s.flags.length > 0) lines.push(`\t\tflags ${s.flags.join(',')}`);
  // One element a line: a change to a large allowlist shows as the lines that changed.
  if (s.elements.length > 0)
    lines.push('\t\telements = {', ...s.elements.map((e) => `\t\t\t${elementText(e)},`), '\t\t}');
  lines.push('\t}');
  return lines;
}

function chainLines(c: NftChain): string[] {
  const lines = [`\tchain ${c.name} {`];
  if (c.base !== undefined)
    lines.push(
      `\t\ttype ${c.base.type} hook ${c.base.hook} priority ${priorityText(c.base.prio)}; policy ${c.base.policy};`,
    );
  for (const r of c.rules) lines.push(`\t\t${ruleText(r)}`);
  lines.push('\t}');
  return lines;
}

export function tableHead(t: Pick<NftTable, 'family' | 'name'>): string {
  return `table ${t.family} ${t.name}`;
}

/** The table as `nft list table` shows it (sets, then chains), one element a line. */
export function tableText(t: NftTable): string {
  const blocks = [...t.sets.map(setLines), ...t.chains.map(chainLines)];
  const others = t.others.map((o) => `\t# not written by dfw: ${JSON.stringify(o)}`);
  const body = blocks.map((b) => b.join('\n')).join('\n\n');
  return [`${tableHead(t)} {`, ...(body === '' ? [] : [body]), ...others, '}', ''].join('\n');
}

/**
 * An `nft -f` file that creates or replaces the table in one transaction: `table` creates it
 * when missing (so that `delete` cannot fail), `delete` removes it with everything in it, and
 * the block creates it anew. nft applies a whole file atomically: the kernel never holds the
 * table half built, and no other table is touched (never `flush ruleset`).
 */
export function scriptText(t: NftTable, header: readonly string[] = []): string {
  return [...header.map((h) => `# ${h}`), tableHead(t), `delete ${tableHead(t)}`, tableText(t)].join('\n');
}
