// Recognising the rules dfw manages: by their `dfw:<policy>:<rule>` comment tag.
import type { Rule } from './ast.js';
import { ruleComments } from './rule.js';
import { sourceText } from '../source.js';

/**
 * Whether `rule` carries a comment starting with `prefix` (`dfw:web:` or `dfw:`).
 * The substring test on the source line skips the structural parse for the millions of
 * rules that cannot match.
 */
export function isManaged(rule: Rule, prefix: string): boolean {
  const text = sourceText(rule);
  if (text !== undefined && !text.includes(prefix)) return false;
  return ruleComments(rule).some((c) => c.startsWith(prefix));
}
