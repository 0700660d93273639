// The evaluator seen from lint: one prepared ruleset per dump, asked for new connections from
// outside. Until the evaluator is there, the reachability rules are not run (see lint.ts).
import type { Reachability } from './types.js';

/** The address of `addr/len` (its network address; for /32 and /128 the host itself). */
export function ipaddrOf(cidr: string): string {
  return cidr.split('/')[0]!;
}

/** The evaluator behind the reachability rules, or undefined when this build has none. */
export function reachability(): Reachability | undefined {
  return undefined;
}
