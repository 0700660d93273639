// Builders for AST nodes written in code, and edited copies of parsed ones. They produce nodes
// without source, which the printer writes in canonical iptables-save form; give values as
// iptables-save prints them (`10.0.0.1/32`, `-m tcp` made explicit, `RELATED,ESTABLISHED`) to
// get the text it prints.
import type {
  ChainDecl,
  Command,
  CommentLine,
  Counters,
  IptablesDump,
  Match,
  Option,
  Rule,
  RuleSpec,
  Statement,
  Table,
  TableName,
  Target,
} from './ast.js';
import type { Mutable } from '../source.js';

/** `--flag value…` (or `-s value`). */
export function opt(flag: string, ...values: string[]): Option {
  return { flag, negated: false, values };
}

/** `! --flag value…` */
export function not(option: Option): Option {
  return { ...option, negated: true };
}

/** `-m name options…` */
export function match(name: string, ...options: Option[]): Match {
  return { name, options };
}

/** `-j name options…` */
export function jump(name: string, ...options: Option[]): Target {
  return { kind: 'jump', name, options };
}

/** `-g chain` */
export function goTo(chain: string): Target {
  return { kind: 'goto', name: chain, options: [] };
}

/**
 * A rule: `-A chain` with the rule's own options (-s -d -i -o -p -f), then matches, then
 * the target. Example:
 *   rule('DOCKER-USER', { options: [opt('-i', 'eth0')], matches: [match('conntrack', opt('--ctstate', 'RELATED,ESTABLISHED'))], target: jump('RETURN') })
 */
export function rule(chain: string, spec: Partial<RuleSpec> = {}, counters?: Counters): Rule {
  const r: Mutable<Rule> = {
    kind: 'rule',
    chain,
    spec: { options: spec.options ?? [], matches: spec.matches ?? [], ...(spec.target ? { target: spec.target } : {}) },
  };
  if (counters) r.counters = counters;
  return r;
}

/** `:name policy [0:0]`; user chains take `-`. */
export function chain(name: string, policy = '-', counters?: Counters): ChainDecl {
  const c: Mutable<ChainDecl> = { kind: 'chain', name, policy };
  if (counters) c.counters = counters;
  return c;
}

export function comment(text: string): CommentLine {
  return { kind: 'comment', text: text.startsWith('#') ? text : `# ${text}` };
}

export function table(name: TableName, body: Table['body'] = []): Table {
  return { kind: 'table', name, body };
}

// Edited copies. Parsed nodes are frozen; these return a new node with the changes, without
// the source line (it no longer says what the node says), printed canonically. A field given
// as `undefined` is removed (`editRule(r, { counters: undefined })`).

/** Takes `key` from `changes` when it is there (even as undefined), else from `node`. */
function pick<T, K extends keyof T>(changes: Partial<T>, node: T, key: K): T[K] {
  return key in changes ? (changes[key] as T[K]) : node[key];
}

/** A rule with a new chain, spec or counters: `editRule(rule, { spec: { ...rule.spec, target: jump('DROP') } })`. */
export function editRule(r: Rule, changes: Partial<Pick<Rule, 'chain' | 'spec' | 'counters'>>): Rule {
  const counters = pick(changes, r, 'counters');
  const out: Rule = { kind: 'rule', chain: pick(changes, r, 'chain'), spec: pick(changes, r, 'spec') };
  return counters === undefined ? out : { ...out, counters };
}

/** A `:CHAIN POLICY [p:b]` line with a new name, policy or counters. */
export function editChainDecl(
  c: ChainDecl,
  changes: Partial<Pick<ChainDecl, 'name' | 'policy' | 'counters'>>,
): ChainDecl {
  const counters = pick(changes, c, 'counters');
  const out: ChainDecl = { kind: 'chain', name: pick(changes, c, 'name'), policy: pick(changes, c, 'policy') };
  return counters === undefined ? out : { ...out, counters };
}

/** A command line (-I, -D, -N…) with new fields. */
export function editCommand(
  c: Command,
  changes: Partial<Pick<Command, 'op' | 'flag' | 'chain' | 'args' | 'spec' | 'counters'>>,
): Command {
  const out: Mutable<Command> = {
    kind: 'command',
    op: pick(changes, c, 'op'),
    flag: pick(changes, c, 'flag'),
    args: pick(changes, c, 'args'),
  };
  const chain = pick(changes, c, 'chain');
  const spec = pick(changes, c, 'spec');
  const counters = pick(changes, c, 'counters');
  if (chain !== undefined) out.chain = chain;
  if (spec !== undefined) out.spec = spec;
  if (counters !== undefined) out.counters = counters;
  return out;
}

/** A table with a new body (or name): `editTable(t, { body: [...t.body, rule('INPUT', …)] })`. */
export function editTable(t: Table, changes: Partial<Pick<Table, 'name' | 'body'>>): Table {
  return { kind: 'table', name: changes.name ?? t.name, body: changes.body ?? t.body };
}

/** A dump with new items (a dump has no source line: this is `{ ...dump, items }`). */
export function editDump(
  d: IptablesDump,
  changes: Partial<Pick<IptablesDump, 'items' | 'family' | 'finalNewline'>>,
): IptablesDump {
  return { ...d, ...changes };
}

/** The statement, in any kind, with the same fields and no source: what it prints canonically. */
export function withoutSource(s: Statement): Statement {
  switch (s.kind) {
    case 'rule':
      return editRule(s, {});
    case 'chain':
      return editChainDecl(s, {});
    case 'command':
      return editCommand(s, {});
    case 'comment':
      return { kind: 'comment', text: s.text };
    case 'blank':
      return { kind: 'blank' };
  }
}
