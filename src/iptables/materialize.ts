// Turns a line's shape (token positions) and its tokens into AST values, frozen (src/source.ts).
import type { Counters, Option, RuleSpec, Match, Target } from './ast.js';
import { NONE, type Mutable } from '../source.js';
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
    const given = own.length === 0 ? NONE : own;
    if (s.kind === 'match') matches.push({ name, options: given });
    else target = { kind: s.kind, name, options: given };
  }
  const spec: Mutable<RuleSpec> = { options, matches };
  if (target !== undefined) spec.target = target;
  return freezeSpec(spec);
}

/** Freezes what specFrom made, knowing its shape (cheaper than a generic deep freeze, per rule). */
function freezeSpec(spec: RuleSpec): RuleSpec {
  freezeOptions(spec.options);
  for (const m of spec.matches) {
    freezeOptions(m.options);
    Object.freeze(m);
  }
  Object.freeze(spec.matches);
  if (spec.target !== undefined) {
    freezeOptions(spec.target.options);
    Object.freeze(spec.target);
  }
  return Object.freeze(spec);
}

function freezeOptions(os: readonly Option[]): void {
  if (os === NONE) return;
  for (const o of os) {
    Object.freeze(o.values);
    Object.freeze(o);
  }
  Object.freeze(os);
}

/** `[p:b]` → counters. */
export function countersFrom(text: string): Counters {
  const colon = text.indexOf(':');
  return { packets: text.slice(1, colon), bytes: text.slice(colon + 1, -1) };
}
