// Every lint rule, in the order the README lists them and lint reports them. Add a rule here
// (one file per rule or close group under rules/) and to the README's table.
import { dockerChainHandRule } from './rules/docker-chain-hand-rule.js';
import { acceptInDockerUser, dropWithoutEstablished } from './rules/docker-user-verdicts.js';
import { dockerUserJumpMissing, orphanedDockerUser } from './rules/docker-user-jump.js';
import { ipv6Unfiltered } from './rules/ipv6-unfiltered.js';
import { containerPortMatch, inputRuleForPublishedPort } from './rules/published-ports.js';
import { publishedPortOpen, rawDropBlocksAllow } from './rules/reachability.js';
import { staleManagedRules } from './rules/stale-managed-rules.js';
import { unknownSet } from './rules/unknown-set.js';
import type { LintRule } from './types.js';

export const LINT_RULES: readonly LintRule[] = [
  dockerUserJumpMissing,
  inputRuleForPublishedPort,
  dockerChainHandRule,
  containerPortMatch,
  acceptInDockerUser,
  dropWithoutEstablished,
  publishedPortOpen,
  unknownSet,
  ipv6Unfiltered,
  orphanedDockerUser,
  rawDropBlocksAllow,
  staleManagedRules,
];

/** The rule with this id, or undefined. */
export function lintRule(id: string): LintRule | undefined {
  return LINT_RULES.find((r) => r.id === id);
}
