// Runs every rule of the registry over the dumps given and sorts what they find.
import type { IpsetDump } from '../../ipset/ast.js';
import type { Policy } from '../../policy/types.js';
import { lintedDump, type DumpInput } from './context.js';
import { reachability } from './reach.js';
import { LINT_RULES } from './registry.js';
import { sourceLine } from '../../source.js';
import {
  atLeast,
  SEVERITIES,
  type Finding,
  type LintContext,
  type LintedDump,
  type Reporter,
  type Severity,
} from './types.js';
import type { DockerLayout } from '../../docker/layout.js';
import type { Family } from '../../iptables/ast.js';
import { columnOf } from '../../docker/layout-rule.js';

export interface LintOptions {
  /** The `ipset save` dump of the same host (unknown-set; Docker 28.0.0's set). */
  readonly ipsets?: IpsetDump;
  /** The dfw policy meant for the host (stale-managed-rules, published-port-open, raw-drop-blocks-allow). */
  readonly policy?: Policy;
}

export interface LintReport {
  /** Each dump with its family and layout, in the order given. */
  readonly dumps: readonly { readonly file: string; readonly family: Family; readonly layout: DockerLayout }[];
  /** By file, line, column, then rule order. */
  readonly findings: readonly Finding[];
  /** Rules that did not run, and why (`raw-drop-blocks-allow: needs --policy`). */
  readonly skipped: readonly string[];
}

function reporterFor(ruleId: string, severity: Severity, out: Finding[]): Reporter {
  return (d: LintedDump, at, message, hint, level) => {
    const line = sourceLine(at.node) ?? 1;
    const column = columnOf(at.node, at.needle);
    out.push({ ruleId, severity: level ?? severity, file: d.file, line, column, message, hint });
  };
}

function skippedRules(ctx: LintContext): string[] {
  const out: string[] = [];
  if (ctx.policy === undefined)
    out.push('stale-managed-rules: needs --policy', 'raw-drop-blocks-allow: needs --policy');
  if (ctx.ipsets === undefined) out.push('unknown-set: needs --ipsets');
  if (!ctx.dumps.some((d) => d.family === 6)) out.push('ipv6-unfiltered: needs an ip6tables dump (or --family 6)');
  return out;
}

/**
 * Lints iptables dumps (one per family, or one) against the rules of the registry.
 *
 *   const { findings } = lintDumps([{ dump: parseIptables(text, { file: 'rules.v4' }), file: 'rules.v4' }]);
 */
export function lintDumps(inputs: readonly DumpInput[], options: LintOptions = {}): LintReport {
  const dumps = inputs.map((i) => lintedDump(i, options.ipsets));
  const reach = reachability(options.ipsets);
  const ctx: LintContext = {
    dumps,
    ...(options.ipsets ? { ipsets: options.ipsets } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    reach,
    notes: [],
  };
  const findings: Finding[] = [];
  const order = new Map(LINT_RULES.map((r, i) => [r.id, i]));
  for (const rule of LINT_RULES) rule.check(ctx, reporterFor(rule.id, rule.severity, findings));
  const files = inputs.map((i) => i.file);
  findings.sort(
    (a, b) =>
      files.indexOf(a.file) - files.indexOf(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      order.get(a.ruleId)! - order.get(b.ruleId)!,
  );
  return {
    dumps: dumps.map((d) => ({ file: d.file, family: d.family, layout: d.layout })),
    findings,
    skipped: [...skippedRules(ctx), ...ctx.notes],
  };
}

/** Counts by severity. */
export function summary(findings: readonly Finding[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[f.severity]++;
  return out;
}

/** Whether some finding is at or above `threshold` (the CLI's exit 1). */
export function failsAt(findings: readonly Finding[], threshold: Severity): boolean {
  return findings.some((f) => atLeast(f.severity, threshold));
}
