// Builders for AST nodes written in code. They produce nodes without `raw`, which the
// printer writes in canonical iptables-save form; give values as iptables-save prints them
// (`10.0.0.1/32`, `-m tcp` made explicit, `RELATED,ESTABLISHED`) to get the text it prints.
import type {
  ChainDecl,
  CommentLine,
  Counters,
  Match,
  Option,
  Rule,
  RuleSpec,
  Table,
  TableName,
  Target,
} from './ast.js';

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
  const r: Rule = {
    kind: 'rule',
    chain,
    spec: { options: spec.options ?? [], matches: spec.matches ?? [], ...(spec.target ? { target: spec.target } : {}) },
  };
  if (counters) r.counters = counters;
  return r;
}

/** `:name policy [0:0]`; user chains take `-`. */
export function chain(name: string, policy = '-', counters?: Counters): ChainDecl {
  const c: ChainDecl = { kind: 'chain', name, policy };
  if (counters) c.counters = counters;
  return c;
}

export function comment(text: string): CommentLine {
  return { kind: 'comment', text: text.startsWith('#') ? text : `# ${text}` };
}

export function table(name: TableName, body: Table['body'] = []): Table {
  return { kind: 'table', name, body };
}
