// Accessors over a rule's structure: what transforms and users ask of a rule.
import type { Option, Rule, RuleSpec } from './ast.js';
import { spellingsOf } from './rule-options.js';

/** The spellings of the rule options the accessors read. */
const ALIASES = {
  source: spellingsOf('-s'),
  destination: spellingsOf('-d'),
  in: spellingsOf('-i'),
  out: spellingsOf('-o'),
  protocol: spellingsOf('-p'),
};

/** A value with its negation, e.g. `! -i eth0` → { value: 'eth0', negated: true }. */
export interface Negatable {
  value: string;
  negated: boolean;
}

function own(spec: RuleSpec, key: keyof typeof ALIASES): Negatable | undefined {
  const o: Option | undefined = spec.options.find((x) => ALIASES[key].includes(x.flag));
  return o && o.values[0] !== undefined ? { value: o.values[0], negated: o.negated } : undefined;
}

export const ruleChain = (r: Rule): string => r.chain;
/** The `-j`/`-g` target name, or undefined for a rule without target. */
export const ruleTarget = (r: Rule): string | undefined => r.spec.target?.name;
export const ruleSource = (r: Rule): Negatable | undefined => own(r.spec, 'source');
export const ruleDestination = (r: Rule): Negatable | undefined => own(r.spec, 'destination');
export const ruleInInterface = (r: Rule): Negatable | undefined => own(r.spec, 'in');
export const ruleOutInterface = (r: Rule): Negatable | undefined => own(r.spec, 'out');
export const ruleProtocol = (r: Rule): Negatable | undefined => own(r.spec, 'protocol');
export const ruleCounters = (r: Rule): Rule['counters'] => r.counters;

/** Every `-m comment --comment` value, in order. */
export function ruleComments(r: Rule): string[] {
  const out: string[] = [];
  for (const m of r.spec.matches) {
    if (m.name !== 'comment') continue;
    for (const o of m.options) if (o.flag === '--comment' && o.values[0] !== undefined) out.push(o.values[0]);
  }
  return out;
}

/** The options of the first `-m name` match, or undefined. */
export function ruleMatch(r: Rule, name: string): readonly Option[] | undefined {
  return r.spec.matches.find((m) => m.name === name)?.options;
}
