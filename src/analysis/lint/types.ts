// What `dfw lint` finds and how its rules are described (README "dfw lint"). A rule's id is
// stable: scripts, SARIF viewers and suppressions key on it.
import type { DockerLayout } from '../../docker/layout.js';
import type { DumpView } from '../../docker/layout-view.js';
import type { PublishedPort } from '../../docker/published.js';
import type { Family, IptablesDump, Rule } from '../../iptables/ast.js';
import type { IpsetDump } from '../../ipset/ast.js';
import type { Policy } from '../../policy/types.js';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** Whether `s` is at or above `threshold` (error > warning > info). */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(s) <= SEVERITIES.indexOf(threshold);
}

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  /** The dump the rule was read from, as named on the command line. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** One line: what is wrong. */
  readonly message: string;
  /** What to do about it; with the dfw policy line that fixes it, where one does. */
  readonly hint: string;
}

/** One dump under lint, with what the rules ask of it read once. */
export interface LintedDump {
  readonly file: string;
  readonly family: Family;
  readonly dump: IptablesDump;
  readonly view: DumpView;
  readonly layout: DockerLayout;
  /** The ports Docker publishes (nat DOCKER's DNAT rules), each with its rule. */
  readonly published: readonly PublishedRule[];
}

export interface PublishedRule extends PublishedPort {
  readonly rule: Rule;
  /** `-d` of the DNAT rule: the host address the port is published on, when only one. */
  readonly hostAddress?: string;
}

export interface LintContext {
  readonly dumps: readonly LintedDump[];
  readonly ipsets?: IpsetDump;
  readonly policy?: Policy;
  /** The evaluator (published-port-open, raw-drop-blocks-allow). */
  readonly reach?: Reachability;
  /** What a rule could not check, said in the report (`skipped`). */
  readonly notes: string[];
}

/** What reachability rules ask: the verdict for a new connection from outside. */
export interface Reachability {
  /**
   * Whether the work budget (rules met by all probes so far) is spent: each probe walks every
   * rule on its path, and a kube-proxy node's KUBE-SERVICES has tens of thousands of them.
   */
  exhausted(): boolean;
  verdict(
    d: LintedDump,
    packet: { in: string; src: string; dst: string; proto: string; dport: number },
  ): { verdict: 'accept' | 'drop' | 'reject' | 'unknown'; droppedIn?: { table: string; chain: string; line?: number } };
}

export interface LintRule {
  readonly id: string;
  readonly severity: Severity;
  /** One line, for lists and SARIF's shortDescription. */
  readonly short: string;
  /** What it finds and why that matters (SARIF's fullDescription). */
  readonly full: string;
  /** How to fix it (SARIF's help). */
  readonly help: string;
  /** What the rule needs beyond one dump, when it needs something (README and `--help`). */
  readonly needs?: string;
  check(ctx: LintContext, report: Reporter): void;
}

/** Reports a finding at a rule (or a chain line) of a dump; severity defaults to the rule's. */
export type Reporter = (
  d: LintedDump,
  at: { node: object; needle?: string },
  message: string,
  hint: string,
  severity?: Severity,
) => void;
