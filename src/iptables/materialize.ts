// Turns a line's shape (token positions) and its tokens into AST values.
import type { Counters, Option, RuleSpec, Match, Target } from './ast.js';
import type { Token } from './lexer.js';
import type { OptionShape, SpecShape } from './shape.js';
import { RULE_OPTIONS } from './rule-options.js';

function option(o: OptionShape, toks: readonly Token[]): Option {
  return {
    flag: toks[o.flag]!.value,
    negated: o.neg >= 0,
    values: o.values.map((i) => toks[i]!.value),
  };
}

export function specFrom(shape: SpecShape, toks: readonly Token[]): RuleSpec {
  const options = shape.options.map((o) => option(o, toks));
  const matches: Match[] = [];
  let target: Target | undefined;
  for (const s of shape.sections) {
    const own: Option[] = [];
    for (const o of s.options) {
      const opt = option(o, toks);
      // getopt does not care where they stand; iptables-save prints them first (docs/format.md#order-of-the-parts-of-a-rule).
      (RULE_OPTIONS.has(opt.flag) ? options : own).push(opt);
    }
    const name = toks[s.name]!.value;
    if (s.kind === 'match') matches.push({ name, options: own });
    else target = { kind: s.kind, name, options: own };
  }
  const spec: RuleSpec = { options, matches };
  if (target !== undefined) spec.target = target;
  return spec;
}

/** `[p:b]` → counters. */
export function countersFrom(text: string): Counters {
  const colon = text.indexOf(':');
  return { packets: text.slice(1, colon), bytes: text.slice(colon + 1, -1) };
}
