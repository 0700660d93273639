// Small questions asked of a rule by the layout fingerprint and the lint rules: what it jumps
// to, which interfaces, ports, states and sets it names. Each reads the parsed spec; callers
// look at a handful of chains, never at every rule of a big dump.
import type { Option, Rule } from '../iptables/ast.js';
import { ruleComments, ruleInInterface, ruleOutInterface, type Negatable } from '../iptables/rule.js';
import { sourceLine, sourceText } from '../source.js';

export const target = (r: Rule): string | undefined => r.spec.target?.name;

/** Every option of the rule's matches with one of `flags`, with the match it belongs to. */
export function matchOptions(r: Rule, flags: readonly string[]): { match: string; option: Option }[] {
  const out: { match: string; option: Option }[] = [];
  for (const m of r.spec.matches)
    for (const o of m.options) if (flags.includes(o.flag)) out.push({ match: m.name, option: o });
  return out;
}

export const inIface = (r: Rule): Negatable | undefined => ruleInInterface(r);
export const outIface = (r: Rule): Negatable | undefined => ruleOutInterface(r);

/** The interface named by `-o br` / `-i br` (not negated), or undefined. */
export function plainIface(n: Negatable | undefined): string | undefined {
  return n !== undefined && !n.negated ? n.value : undefined;
}

/** A port or port range as iptables prints it (`8080`, `8000:8100`). */
export interface PortSpan {
  readonly from: number;
  readonly to: number;
}

export function portSpan(text: string): PortSpan | undefined {
  const [a, b] = text.split(':');
  const from = Number(a === '' ? 0 : a);
  const to = b === undefined ? from : Number(b === '' ? 65535 : b);
  return Number.isInteger(from) && Number.isInteger(to) ? { from, to } : undefined;
}

const DPORT_FLAGS = ['--dport', '--destination-port', '--dports', '--destination-ports'];

/**
 * The destination ports the rule matches after DNAT (`--dport`, multiport `--dports`), not
 * negated; undefined when the rule names no destination port.
 */
export function destinationPorts(r: Rule): PortSpan[] | undefined {
  const found = matchOptions(r, DPORT_FLAGS).filter((x) => !x.option.negated);
  if (found.length === 0) return undefined;
  return found.flatMap((x) => (x.option.values[0] ?? '').split(',').flatMap((p) => portSpan(p) ?? []));
}

/** The conntrack states the rule requires (`--ctstate`, `--state`), upper case; undefined when none. */
export function states(r: Rule): { values: string[]; negated: boolean } | undefined {
  const o = matchOptions(r, ['--ctstate', '--state'])[0]?.option;
  if (o === undefined) return undefined;
  return { values: (o.values[0] ?? '').toUpperCase().split(','), negated: o.negated };
}

/** Whether the rule matches only packets of established (or related) connections. */
export function onlyEstablished(r: Rule): boolean {
  const s = states(r);
  return s !== undefined && !s.negated && s.values.every((v) => v === 'ESTABLISHED' || v === 'RELATED');
}

/** The sets a rule names (`-m set --match-set NAME dir`), with the option for its column. */
export function setNames(r: Rule): string[] {
  return matchOptions(r, ['--match-set']).flatMap((x) => x.option.values[0] ?? []);
}

/** Whether the rule carries a dfw tag (`dfw:<policy>:<rule>`). */
export function dfwTagged(r: Rule): boolean {
  const text = sourceText(r);
  if (text !== undefined && !text.includes('dfw:')) return false;
  return ruleComments(r).some((c) => c.startsWith('dfw:'));
}

/** The rule's line in the dump (0 for a rule built in code). */
export const lineOf = (node: object): number => sourceLine(node) ?? 0;

/** 1-based column of `needle` in the rule's line (1 when absent). */
export function columnOf(node: object, needle: string | undefined): number {
  if (needle === undefined) return 1;
  const i = sourceText(node)?.indexOf(needle) ?? -1;
  return i < 0 ? 1 : i + 1;
}

/** Whether `text` mentions `needle` without building the rule (a quick filter before a parse). */
export function mentions(r: Rule, needle: string): boolean {
  return sourceText(r)?.includes(needle) ?? true;
}
